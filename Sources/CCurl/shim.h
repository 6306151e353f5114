// libcurl from the system (libcurl4-openssl-dev): SMTP with STARTTLS and AUTH for alert emails (issue 15).
// curl_easy_setopt is variadic, which Swift cannot call: one typed wrapper per argument kind.
#include <curl/curl.h>

static inline CURLcode siptrunk_curl_set_string(CURL *curl, CURLoption option, const char *value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode siptrunk_curl_set_long(CURL *curl, CURLoption option, long value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode siptrunk_curl_set_pointer(CURL *curl, CURLoption option, void *value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode siptrunk_curl_set_list(CURL *curl, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(curl, option, value);
}
typedef size_t (*siptrunk_curl_read_callback)(char *buffer, size_t size, size_t count, void *context);
static inline CURLcode siptrunk_curl_set_reader(CURL *curl, siptrunk_curl_read_callback callback) {
    return curl_easy_setopt(curl, CURLOPT_READFUNCTION, callback);
}
static inline CURLcode siptrunk_curl_response_code(CURL *curl, long *code) {
    return curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, code);
}
