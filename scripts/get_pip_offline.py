"""Stand-in for ansible-test's get-pip download (its host is unreachable here).

ansible-test runs this file as ``python get_pip.py <pip args>`` to bootstrap pip
into the virtual environments it creates.  We bootstrap pip with ensurepip and
then install what was asked, dropping the options only get-pip understands.
"""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
if args:
    subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)
