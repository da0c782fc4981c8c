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
#endif
