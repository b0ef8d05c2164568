#include "router/policy/calendar.h"

#include <algorithm>
#include <exception>

#include <date/tz.h>

namespace switchboard::policy {
namespace {

constexpr int32_t kMinutesPerDay = 24 * 60;
// nextOpen() looks this many local days ahead before giving up.
constexpr int kSearchDays = 367;

// "HH:MM" → minutes after midnight; "24:00" allowed only when `allow_24`.
std::optional<int32_t> parseClock(std::string_view text, bool allow_24) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int32_t hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int32_t minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59) return std::nullopt;
  if (hours == 24 && minutes == 0 && allow_24) return kMinutesPerDay;
  if (hours > 23) return std::nullopt;
  return hours * 60 + minutes;
}

std::string formatClock(int32_t minute) {
  const int32_t hours = minute / 60;
  const int32_t minutes = minute % 60;
  std::string out;
  out += static_cast<char>('0' + hours / 10);
  out += static_cast<char>('0' + hours % 10);
  out += ':';
  out += static_cast<char>('0' + minutes / 10);
  out += static_cast<char>('0' + minutes % 10);
  return out;
}

}  // namespace

Result<Shift> parseShift(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return makeError(Errc::kConfig, "bad shift \"" + std::string(text) + "\": " + std::string(why) +
                                        " (write e.g. \"09:00-18:00\")");
  };
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) return bad("expected HH:MM-HH:MM");
  const auto open = parseClock(text.substr(0, dash), /*allow_24=*/false);
  const auto close = parseClock(text.substr(dash + 1), /*allow_24=*/true);
  if (!open || !close) return bad("expected HH:MM-HH:MM with hours 00-23 (close also 24:00)");
  Shift shift{*open, *close};
  if (shift.close_minute <= shift.open_minute) shift.close_minute += kMinutesPerDay;
  return shift;
}

std::string formatShift(const Shift& shift) {
  const int32_t close = shift.close_minute > kMinutesPerDay ? shift.close_minute - kMinutesPerDay
                                                            : shift.close_minute;
  return formatClock(shift.open_minute) + "-" + formatClock(close);
}

Result<BusinessCalendar> BusinessCalendar::make(std::string name, std::string_view time_zone,
                                                WeeklyHours hours,
                                                std::vector<std::chrono::sys_days> holidays) {
  BusinessCalendar calendar;
  try {
    calendar.zone_ = date::locate_zone(time_zone);
  } catch (const std::exception&) {
    // date reports a missing name and a missing database alike by throwing runtime_error.
    return makeError(Errc::kConfig, "unknown time zone \"" + std::string(time_zone) +
                                        "\" (expected an IANA name such as \"Asia/Seoul\", "
                                        "from the tz database in /usr/share/zoneinfo)");
  }
  calendar.name_ = std::move(name);
  calendar.time_zone_name_ = std::string(time_zone);
  for (auto& day : hours) {
    std::sort(day.begin(), day.end(), [](const Shift& a, const Shift& b) {
      return a.open_minute != b.open_minute ? a.open_minute < b.open_minute
                                            : a.close_minute < b.close_minute;
    });
  }
  calendar.hours_ = std::move(hours);
  std::sort(holidays.begin(), holidays.end());
  holidays.erase(std::unique(holidays.begin(), holidays.end()), holidays.end());
  calendar.holidays_ = std::move(holidays);
  return calendar;
}

bool BusinessCalendar::isHoliday(std::chrono::sys_days local_day) const {
  return std::binary_search(holidays_.begin(), holidays_.end(), local_day);
}

bool BusinessCalendar::isOpen(TimePoint t) const {
  const auto local = zone_->to_local(t);
  const auto day = date::floor<date::days>(local);
  const auto minute = static_cast<int32_t>(date::floor<std::chrono::minutes>(local - day).count());
  const std::chrono::sys_days today{std::chrono::days(day.time_since_epoch().count())};
  const unsigned weekday = std::chrono::weekday(today).c_encoding();
  if (!isHoliday(today)) {
    for (const Shift& shift : hours_[weekday]) {
      if (shift.open_minute > minute) break;  // sorted by open
      if (minute < shift.close_minute) return true;
    }
  }
  // Overnight shifts that started yesterday.
  const std::chrono::sys_days yesterday = today - std::chrono::days(1);
  if (!isHoliday(yesterday)) {
    for (const Shift& shift : hours_[(weekday + 6) % 7]) {
      if (minute + kMinutesPerDay < shift.close_minute) return true;
    }
  }
  return false;
}

std::optional<TimePoint> BusinessCalendar::nextOpen(TimePoint t) const {
  if (isOpen(t)) return t;
  const auto local = zone_->to_local(t);
  const auto first_day = date::floor<date::days>(local);
  for (int offset = 0; offset < kSearchDays; ++offset) {
    const date::local_days day = first_day + date::days(offset);
    const std::chrono::sys_days key{std::chrono::days(day.time_since_epoch().count())};
    if (isHoliday(key)) continue;
    for (const Shift& shift : hours_[std::chrono::weekday(key).c_encoding()]) {
      // A local time skipped by a DST gap maps to the transition (choose::earliest never
      // throws); an ambiguous one to its first occurrence.
      const auto opens =
          zone_->to_sys(day + std::chrono::minutes(shift.open_minute), date::choose::earliest);
      if (opens > t) return std::chrono::time_point_cast<TimePoint::duration>(opens);
    }
  }
  return std::nullopt;
}

bool BusinessCalendar::sameSchedule(const BusinessCalendar& other) const {
  return time_zone_name_ == other.time_zone_name_ && hours_ == other.hours_ &&
         holidays_ == other.holidays_;
}

}  // namespace switchboard::policy
