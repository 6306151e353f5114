// libsrtp2 from the system (libsrtp2-dev): SRTP for test-call media (RFC 3711, SDES keys from RFC 4568).
#include <srtp2/srtp.h>
