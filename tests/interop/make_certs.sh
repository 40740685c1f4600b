#!/usr/bin/env bash
# Makes the throwaway certificates of the TLS tests in DIR (the loopback gtests and test_tls.sh):
#   ca.pem ca.key            a CA that exists only for this run
#   good.pem good.key        localhost, 127.0.0.1, ::1; valid now
#   expired.pem expired.key  the same names; valid 2020-01-01 .. 2021-01-01 only
#   wronghost.pem wronghost.key   other.example only
#   self.pem self.key        self-signed (localhost, 127.0.0.1)
# EC P-256 keys: quick to make. OpenSSL 3.0's x509 cannot backdate a certificate, so every
# certificate is issued by `openssl ca`, whose -startdate/-enddate can.
# Usage: make_certs.sh DIR
set -euo pipefail
dir=${1:?usage: make_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
# Made already (ctest's fixture, a second caller) and good for another hour: nothing to do.
if [ -s good.pem ] && [ -s expired.pem ] && [ -s wronghost.pem ] && [ -s self.pem ] &&
   openssl x509 -checkend 3600 -noout -in good.pem >/dev/null 2>&1 &&
   openssl x509 -checkend 3600 -noout -in ca.pem >/dev/null 2>&1; then
  exit 0
fi
rm -rf ca.db

mkdir -p ca.db
: > ca.db/index.txt
echo 1000 > ca.db/serial
cat > ca.cnf <<'CNF'
[ ca ]
default_ca = testca
[ testca ]
dir = ./ca.db
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir
certificate = ./ca.pem
private_key = ./ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ good ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
[ wronghost ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:other.example
CNF

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key ca.key
openssl req -new -x509 -key ca.key -out ca.pem -days 2 -subj "/CN=sockit test CA" \
  -config ca.cnf -extensions v3_ca 2>/dev/null

# issue NAME CN EXTENSIONS START END
issue() {
  key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
  openssl ca -batch -notext -config ca.cnf -extensions "$3" -startdate "$4" -enddate "$5" \
    -in "$1.csr" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr"
}
now=$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)
later=$(date -u -d '+2 days' +%Y%m%d%H%M%SZ)
issue good localhost good "$now" "$later"
issue expired localhost good 20200101000000Z 20210101000000Z
issue wronghost other.example wronghost "$now" "$later"

key self.key
openssl req -new -x509 -key self.key -out self.pem -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
