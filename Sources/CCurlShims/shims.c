#include "CCurlShims.h"

CURLcode CCurlShims_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode CCurlShims_easy_setopt_ptr(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode CCurlShims_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode CCurlShims_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode CCurlShims_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
CURLcode CCurlShims_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}
CURLcode CCurlShims_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}
CURLcode CCurlShims_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}
CURLMcode CCurlShims_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

CURLcode CCurlShims_easy_setopt_write_function(CURL *handle, CCurlShims_data_callback fn) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, fn);
}
CURLcode CCurlShims_easy_setopt_header_function(CURL *handle, CCurlShims_data_callback fn) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, fn);
}
CURLcode CCurlShims_easy_setopt_read_function(CURL *handle, CCurlShims_data_callback fn) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, fn);
}
CURLcode CCurlShims_easy_setopt_seek_function(CURL *handle, CCurlShims_seek_callback fn) {
    return curl_easy_setopt(handle, CURLOPT_SEEKFUNCTION, fn);
}
CURLcode CCurlShims_easy_setopt_xferinfo_function(CURL *handle, CCurlShims_xferinfo_callback fn) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, fn);
}
const size_t CCurlShims_READFUNC_ABORT = CURL_READFUNC_ABORT;
const long CCurlShims_GLOBAL_ALL = CURL_GLOBAL_ALL;
