#include "CPhoneNumber.h"

#include <cstring>
#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {
void copy(const std::string &from, char *to, size_t size) {
    if (size == 0) return;
    size_t count = from.size() < size - 1 ? from.size() : size - 1;
    std::memcpy(to, from.data(), count);
    to[count] = '\0';
}
}  // namespace

extern "C" int siptrunk_phone_parse(const char *text, siptrunk_phone_number *out) {
    std::memset(out, 0, sizeof *out);
    out->type = SIPTRUNK_PHONE_UNKNOWN;
    copy("ZZ", out->region, sizeof out->region);
    if (text == nullptr) return 0;
    PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    // "ZZ": no default region, so only numbers in international form (with +) parse, as E.164 wants.
    if (util->Parse(text, "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) return 0;
    out->parsed = 1;
    out->valid = util->IsValidNumber(number) ? 1 : 0;
    out->possible = util->IsPossibleNumber(number) ? 1 : 0;
    out->country_code = number.country_code();
    std::string region;
    util->GetRegionCodeForNumber(number, &region);
    if (region.empty()) util->GetRegionCodeForCountryCode(number.country_code(), &region);
    copy(region.empty() ? "ZZ" : region, out->region, sizeof out->region);
    int type = static_cast<int>(util->GetNumberType(number));
    out->type = type >= 0 && type <= SIPTRUNK_PHONE_UNKNOWN ? static_cast<siptrunk_phone_type>(type) : SIPTRUNK_PHONE_UNKNOWN;
    std::string formatted;
    util->Format(number, PhoneNumberUtil::E164, &formatted);
    copy(formatted, out->e164, sizeof out->e164);
    formatted.clear();
    util->Format(number, PhoneNumberUtil::INTERNATIONAL, &formatted);
    copy(formatted, out->international, sizeof out->international);
    return 1;
}

extern "C" void siptrunk_phone_region_for_country_code(int country_code, char *region, size_t size) {
    std::string code;
    PhoneNumberUtil::GetInstance()->GetRegionCodeForCountryCode(country_code, &code);
    copy(code.empty() ? "ZZ" : code, region, size);
}
