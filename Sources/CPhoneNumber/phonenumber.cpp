#include "CPhoneNumber.h"

#include <CLibraryLoader.h>
#include <pthread.h>

#include <cstring>
#include <new>
#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// libphonenumber (with protobuf, abseil and ICU behind it) is opened on first use (CLibraryLoader.h says why). It has
// no C interface, so its C++ functions are bound by their Itanium-mangled names: non-virtual member functions take
// `this` as their first argument, which is how they are typed below. Only the types and inline accessors of its
// headers are used here — nothing that links to the library — so a missing or changed library is an error message,
// never a failure to start.
namespace {
struct Api {
    PhoneNumberUtil *(*instance)();
    void (*construct)(PhoneNumber *, google::protobuf::Arena *, bool);
    void (*destroy)(PhoneNumber *);
    PhoneNumberUtil::ErrorType (*parse)(const PhoneNumberUtil *, const std::string &, const std::string &, PhoneNumber *);
    bool (*is_valid)(const PhoneNumberUtil *, const PhoneNumber &);
    bool (*is_possible)(const PhoneNumberUtil *, const PhoneNumber &);
    void (*region_for_number)(const PhoneNumberUtil *, const PhoneNumber &, std::string *);
    void (*region_for_country_code)(const PhoneNumberUtil *, int, std::string *);
    PhoneNumberUtil::PhoneNumberType (*type)(const PhoneNumberUtil *, const PhoneNumber &);
    void (*format)(const PhoneNumberUtil *, const PhoneNumber &, PhoneNumberUtil::PhoneNumberFormat, std::string *);
} api;

pthread_once_t once = PTHREAD_ONCE_INIT;
int ready;
char problem[256];

void load() {
    static const char *const sonames[] = {"libphonenumber.so.8", "libphonenumber.so", nullptr};
    const siptrunk_symbol symbols[] = {
        {"_ZN4i18n12phonenumbers15PhoneNumberUtil11GetInstanceEv", reinterpret_cast<void **>(&api.instance)},
        {"_ZN4i18n12phonenumbers11PhoneNumberC1EPN6google8protobuf5ArenaEb", reinterpret_cast<void **>(&api.construct)},
        {"_ZN4i18n12phonenumbers11PhoneNumberD1Ev", reinterpret_cast<void **>(&api.destroy)},
        {"_ZNK4i18n12phonenumbers15PhoneNumberUtil5ParseERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEES9_PNS0_"
         "11PhoneNumberE",
         reinterpret_cast<void **>(&api.parse)},
        {"_ZNK4i18n12phonenumbers15PhoneNumberUtil13IsValidNumberERKNS0_11PhoneNumberE",
         reinterpret_cast<void **>(&api.is_valid)},
        {"_ZNK4i18n12phonenumbers15PhoneNumberUtil16IsPossibleNumberERKNS0_11PhoneNumberE",
         reinterpret_cast<void **>(&api.is_possible)},
        {"_ZNK4i18n12phonenumbers15PhoneNumberUtil22GetRegionCodeForNumberERKNS0_11PhoneNumberEPNSt7__cxx1112basic_"
         "stringIcSt11char_traitsIcESaIcEEE",
         reinterpret_cast<void **>(&api.region_for_number)},
        {"_ZNK4i18n12phonenumbers15PhoneNumberUtil27GetRegionCodeForCountryCodeEiPNSt7__cxx1112basic_stringIcSt11char_"
         "traitsIcESaIcEEE",
         reinterpret_cast<void **>(&api.region_for_country_code)},
        {"_ZNK4i18n12phonenumbers15PhoneNumberUtil13GetNumberTypeERKNS0_11PhoneNumberE",
         reinterpret_cast<void **>(&api.type)},
        {"_ZNK4i18n12phonenumbers15PhoneNumberUtil6FormatERKNS0_11PhoneNumberENS1_17PhoneNumberFormatEPNSt7__cxx1112"
         "basic_stringIcSt11char_traitsIcESaIcEEE",
         reinterpret_cast<void **>(&api.format)},
    };
    ready = siptrunk_library_open(sonames, symbols, sizeof symbols / sizeof symbols[0], problem, sizeof problem);
}

/// A PhoneNumber made and destroyed through the library (its constructor is not inline).
class Number {
  public:
    Number() { api.construct(value(), nullptr, false); }
    ~Number() { api.destroy(value()); }
    Number(const Number &) = delete;
    Number &operator=(const Number &) = delete;
    PhoneNumber *value() { return std::launder(reinterpret_cast<PhoneNumber *>(storage)); }

  private:
    alignas(PhoneNumber) unsigned char storage[sizeof(PhoneNumber)];
};

void copy(const std::string &from, char *to, size_t size) {
    if (size == 0) return;
    size_t count = from.size() < size - 1 ? from.size() : size - 1;
    std::memcpy(to, from.data(), count);
    to[count] = '\0';
}
}  // namespace

extern "C" const char *siptrunk_phone_unavailable(void) {
    pthread_once(&once, load);
    return ready ? nullptr : problem;
}

extern "C" int siptrunk_phone_parse(const char *text, siptrunk_phone_number *out) {
    std::memset(out, 0, sizeof *out);
    out->type = SIPTRUNK_PHONE_UNKNOWN;
    copy("ZZ", out->region, sizeof out->region);
    if (text == nullptr || siptrunk_phone_unavailable() != nullptr) return 0;
    const PhoneNumberUtil *util = api.instance();
    Number parsed;
    const PhoneNumber &number = *parsed.value();
    // "ZZ": no default region, so only numbers in international form (with +) parse, as E.164 wants.
    if (api.parse(util, text, "ZZ", parsed.value()) != PhoneNumberUtil::NO_PARSING_ERROR) return 0;
    out->parsed = 1;
    out->valid = api.is_valid(util, number) ? 1 : 0;
    out->possible = api.is_possible(util, number) ? 1 : 0;
    out->country_code = number.country_code();
    std::string region;
    api.region_for_number(util, number, &region);
    if (region.empty()) api.region_for_country_code(util, number.country_code(), &region);
    copy(region.empty() ? "ZZ" : region, out->region, sizeof out->region);
    int type = static_cast<int>(api.type(util, number));
    out->type = type >= 0 && type <= SIPTRUNK_PHONE_UNKNOWN ? static_cast<siptrunk_phone_type>(type) : SIPTRUNK_PHONE_UNKNOWN;
    std::string formatted;
    api.format(util, number, PhoneNumberUtil::E164, &formatted);
    copy(formatted, out->e164, sizeof out->e164);
    formatted.clear();
    api.format(util, number, PhoneNumberUtil::INTERNATIONAL, &formatted);
    copy(formatted, out->international, sizeof out->international);
    return 1;
}

extern "C" void siptrunk_phone_region_for_country_code(int country_code, char *region, size_t size) {
    std::string code;
    if (siptrunk_phone_unavailable() == nullptr) api.region_for_country_code(api.instance(), country_code, &code);
    copy(code.empty() ? "ZZ" : code, region, size);
}
