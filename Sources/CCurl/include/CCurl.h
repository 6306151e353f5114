// libcurl from the system (libcurl4-openssl-dev): SMTP with STARTTLS and AUTH for alert emails (issue 15).
// The library is opened on first use (see CLibraryLoader.h), so its functions are called through these wrappers;
// curl_easy_setopt is variadic, which Swift cannot call: one typed wrapper per argument kind.
#ifndef SIPTRUNK_CCURL_H
#define SIPTRUNK_CCURL_H

#include <curl/curl.h>

/// NULL once libcurl is loaded and initialised (the first call does it), else why it could not be. Call it before
/// any other function here.
const char *siptrunk_curl_unavailable(void);

CURL *siptrunk_curl_easy_init(void);
void siptrunk_curl_easy_cleanup(CURL *curl);
CURLcode siptrunk_curl_easy_perform(CURL *curl);
const char *siptrunk_curl_easy_strerror(CURLcode code);
struct curl_slist *siptrunk_curl_slist_append(struct curl_slist *list, const char *text);
void siptrunk_curl_slist_free_all(struct curl_slist *list);

CURLcode siptrunk_curl_set_string(CURL *curl, CURLoption option, const char *value);
CURLcode siptrunk_curl_set_long(CURL *curl, CURLoption option, long value);
CURLcode siptrunk_curl_set_pointer(CURL *curl, CURLoption option, void *value);
CURLcode siptrunk_curl_set_list(CURL *curl, CURLoption option, struct curl_slist *value);
typedef size_t (*siptrunk_curl_read_callback)(char *buffer, size_t size, size_t count, void *context);
CURLcode siptrunk_curl_set_reader(CURL *curl, siptrunk_curl_read_callback callback);
CURLcode siptrunk_curl_response_code(CURL *curl, long *code);

#endif
