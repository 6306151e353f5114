// A small C interface to Google's libphonenumber (Debian's libphonenumber-dev), for Swift: the numbering-plan
// facts siptrunk needs about one number. Written in C++ (phonenumber.cpp); nothing of C++ crosses this header.
// The library is opened on first use (CLibraryLoader.h); without it no number parses (`parsed` is 0).
#ifndef SIPTRUNK_CPHONENUMBER_H
#define SIPTRUNK_CPHONENUMBER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The number types of libphonenumber's PhoneNumberUtil::PhoneNumberType, in its order.
typedef enum {
    SIPTRUNK_PHONE_FIXED_LINE = 0,
    SIPTRUNK_PHONE_MOBILE,
    SIPTRUNK_PHONE_FIXED_LINE_OR_MOBILE,
    SIPTRUNK_PHONE_TOLL_FREE,
    SIPTRUNK_PHONE_PREMIUM_RATE,
    SIPTRUNK_PHONE_SHARED_COST,
    SIPTRUNK_PHONE_VOIP,
    SIPTRUNK_PHONE_PERSONAL_NUMBER,
    SIPTRUNK_PHONE_PAGER,
    SIPTRUNK_PHONE_UAN,
    SIPTRUNK_PHONE_VOICEMAIL,
    SIPTRUNK_PHONE_UNKNOWN,
} siptrunk_phone_type;

typedef struct {
    /// 1 when the text parsed as a phone number at all.
    int parsed;
    /// 1 when the number is valid in its country's numbering plan.
    int valid;
    /// 1 when its length is possible for its country code.
    int possible;
    int country_code;
    /// ISO 3166 region ("US", "CH"), "001" for non-geographic numbers, "ZZ" when unknown.
    char region[4];
    siptrunk_phone_type type;
    /// +14155550123
    char e164[24];
    /// +1 415-555-0123
    char international[48];
} siptrunk_phone_number;

/// NULL once libphonenumber is loaded (the first call of any function here does it), else why it could not be.
const char *siptrunk_phone_unavailable(void);

/// Parses `text` (international form, `+` and digits with any formatting) and fills `out`. Returns `out->parsed`.
int siptrunk_phone_parse(const char *text, siptrunk_phone_number *out);

/// The main region of a country calling code ("US" for 1, "CH" for 41), "ZZ" when there is none.
void siptrunk_phone_region_for_country_code(int country_code, char *region, size_t size);

#ifdef __cplusplus
}
#endif

#endif
