// OpenSSL's libcrypto, for the one digest swift-crypto does not offer: SHA-512/256
// (FIPS 180-4), which RFC 7616 names for HTTP/SIP digest authentication.
#include <openssl/evp.h>
