# Once per domain, as root: one key (algorithm 13, ECDSA P-256) that signs the whole zone.
mkdir -p /etc/nsd/zones
cd /etc/nsd/zones
ldns-keygen -a ECDSAP256SHA256 -k example.org
# The DS record for your registrar (or for the senders' trust-anchor-file, see below):
cat Kexample.org.+013+*.ds
