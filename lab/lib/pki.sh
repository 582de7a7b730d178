# shellcheck shell=bash
# PKI and kubeconfigs of the lab (openssl; ECDSA P-256 keys).  Needs paths.sh sourced.

_pki_cert() {
  # _pki_cert <name> <subject> <ext-file-content|""> : key + cert signed by the lab CA
  local name=$1 subj=$2 ext=$3 dir=${LAB_PKI_OUT:-$LAB_PKI}
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$name.key" 2>/dev/null
  openssl req -new -key "$dir/$name.key" -subj "$subj" -out "$dir/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$LAB_PKI/ca.crt" -CAkey "$LAB_PKI/ca.key" \
    -CAcreateserial -CAserial "$LAB_PKI/ca.srl" -days 3650 -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.crt" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

pki_create() {
  local dir=$LAB_PKI
  mkdir -p "$dir" && chmod 700 "$dir"
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$dir/ca.key" -subj "/CN=cni-ovs-lab-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" -out "$dir/ca.crt" 2>/dev/null
  local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  # Service IP of "kubernetes" is the first address of the service range.
  local svc_ip=${LAB_SERVICE_CIDR%.*}.1
  _pki_cert apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:$LAB_GATEWAY,IP:$svc_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  _pki_cert admin "/O=system:masters/CN=cni-ovs-lab-admin" "$client"
  _pki_cert controller-manager "/CN=system:kube-controller-manager" "$client"
  _pki_cert scheduler "/CN=system:kube-scheduler" "$client"
  # The API server's client certificate towards the kubelets (exec, logs, port-forward):
  # system:masters, so the kubelets' webhook authorization allows it.
  _pki_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"
  # Serving cert for kube-controller-manager, kube-scheduler and kwok on 127.0.0.1.
  _pki_cert serving "/CN=cni-ovs-lab-serving" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/sa.key" 2>/dev/null
  openssl ec -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
  chmod 600 "$dir"/*.key
}

kubeconfig_write() {
  # kubeconfig_write <file> <server-url> <client cert name>
  local file=$1 server=$2 who=$3 tmp
  tmp=$(mktemp "$file.XXXXXX")
  cat >"$tmp" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: cni-ovs-lab
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$LAB_PKI/ca.crt")
users:
- name: $who
  user:
    client-certificate-data: $(base64 -w0 "$LAB_PKI/$who.crt")
    client-key-data: $(base64 -w0 "$LAB_PKI/$who.key")
contexts:
- name: cni-ovs-lab
  context:
    cluster: cni-ovs-lab
    user: $who
current-context: cni-ovs-lab
KCFG
  chmod 600 "$tmp" && mv -f "$tmp" "$file"
}

pki_node() {
  # pki_node <node name> <node IP>: the credentials of a real kubelet (LAB_KUBELET=real) in
  # $LAB_PKI/nodes/<name>/: a client certificate system:node:<name> in system:nodes (Node
  # authorizer + NodeRestriction), a serving certificate for <IP>:10250 (the API server checks
  # it against the lab CA for exec/logs), the CA, and kubelet.conf to the lab network's API.
  local name=$1 ip=$2 dir=$LAB_PKI/nodes/$1
  mkdir -p "$dir" && chmod 700 "$dir"
  [ -s "$dir/kubelet.conf" ] && [ -s "$dir/kubelet-serving.crt" ] && return 0
  LAB_PKI_OUT=$dir _pki_cert kubelet-client "/O=system:nodes/CN=system:node:$name" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  LAB_PKI_OUT=$dir _pki_cert kubelet-serving "/CN=$name" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:$ip,DNS:$name"
  cp "$LAB_PKI/ca.crt" "$dir/ca.crt"
  local tmp; tmp=$(mktemp "$dir/.kubelet.conf.XXXXXX")
  cat >"$tmp" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: cni-ovs-lab
  cluster:
    server: https://$LAB_GATEWAY:$LAB_API_PORT
    certificate-authority: /etc/kubernetes/pki/ca.crt
users:
- name: system:node:$name
  user:
    client-certificate: /etc/kubernetes/pki/kubelet-client.crt
    client-key: /etc/kubernetes/pki/kubelet-client.key
contexts:
- name: cni-ovs-lab
  context:
    cluster: cni-ovs-lab
    user: system:node:$name
current-context: cni-ovs-lab
KCFG
  chmod 600 "$tmp" "$dir"/*.key && mv -f "$tmp" "$dir/kubelet.conf"
}
