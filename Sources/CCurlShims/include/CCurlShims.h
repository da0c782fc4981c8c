#ifndef CCURLSHIMS_H
#define CCURLSHIMS_H
#include <curl/curl.h>

// Typed, non-variadic wrappers: Swift cannot call curl_easy_setopt/getinfo directly.
CURLcode CCurlShims_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode CCurlShims_easy_setopt_ptr(CURL *handle, CURLoption option, void *value);
CURLcode CCurlShims_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode CCurlShims_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode CCurlShims_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode CCurlShims_easy_getinfo_string(CURL *handle, CURLINFO info, char **value);
CURLcode CCurlShims_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value);
CURLcode CCurlShims_easy_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLMcode CCurlShims_multi_setopt_long(CURLM *handle, CURLMoption option, long value);

// Callback setters take typed function pointers so Swift `@convention(c)` closures pass through.
typedef size_t (*CCurlShims_data_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
typedef int (*CCurlShims_seek_callback)(void *userdata, curl_off_t offset, int origin);
typedef int (*CCurlShims_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                            curl_off_t ultotal, curl_off_t ulnow);
CURLcode CCurlShims_easy_setopt_write_function(CURL *handle, CCurlShims_data_callback fn);
CURLcode CCurlShims_easy_setopt_header_function(CURL *handle, CCurlShims_data_callback fn);
CURLcode CCurlShims_easy_setopt_read_function(CURL *handle, CCurlShims_data_callback fn);
CURLcode CCurlShims_easy_setopt_seek_function(CURL *handle, CCurlShims_seek_callback fn);
CURLcode CCurlShims_easy_setopt_xferinfo_function(CURL *handle, CCurlShims_xferinfo_callback fn);
// Macro values Swift cannot import.
extern const size_t CCurlShims_READFUNC_ABORT;
extern const long CCurlShims_GLOBAL_ALL;
#endif
