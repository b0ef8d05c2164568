// BusinessCalendar: when a team is open, in its own time zone. Weekly hours are shifts of
// local wall-clock time per weekday ("09:00-18:00"; "22:00-06:00" runs overnight into the next
// day; "00:00-24:00" is the whole day); a holiday closes the shifts that start on that local
// date. Times are compared as wall-clock times, so the hours stay right across DST changes: a
// shift opening at a local time that the spring-forward gap skips opens at the transition.
//
// Uses Howard Hinnant's date/tz over the system tz database (/usr/share/zoneinfo, Debian's
// tzdata). The zone is resolved once when the calendar is made; isOpen() and nextOpen() do no
// I/O and take the time as an argument. Limit: date 3.0.1 reads only the transitions listed
// in the zone files (through 2037) and not their rule for later years, so from 2038 on a
// zone stays on its last listed offset (New York: EST all year).
//
// Lifecycle: built by the policy loader, immutable afterwards; const methods are safe from
// any thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace date {
class time_zone;
}

namespace switchboard::policy {

using TimePoint = std::chrono::system_clock::time_point;

// A shift in minutes after the local midnight of the day it starts; close_minute may exceed
// 1440 for an overnight shift (at most open + 1440).
struct Shift {
  int32_t open_minute = 0;
  int32_t close_minute = 0;
  bool operator==(const Shift&) const = default;
};

// "HH:MM-HH:MM" → Shift. Close "24:00" is midnight; a close at or before the open runs
// overnight. Errc::kConfig with an explanation otherwise.
Result<Shift> parseShift(std::string_view text);
std::string formatShift(const Shift& shift);

class BusinessCalendar {
 public:
  // Days are numbered as std::chrono::weekday: 0 = Sunday ... 6 = Saturday.
  using WeeklyHours = std::array<std::vector<Shift>, 7>;

  // Errc::kConfig `unknown time zone "..."` when the tz database does not know the name.
  static Result<BusinessCalendar> make(std::string name, std::string_view time_zone,
                                       WeeklyHours hours,
                                       std::vector<std::chrono::sys_days> holidays);

  const std::string& name() const { return name_; }
  const std::string& timeZone() const { return time_zone_name_; }
  const WeeklyHours& hours() const { return hours_; }
  const std::vector<std::chrono::sys_days>& holidays() const { return holidays_; }

  bool isOpen(TimePoint t) const;
  // `t` itself when open; otherwise the next moment the calendar opens, or nullopt when it
  // does not open in the next year (e.g. no hours at all, or a year of holidays).
  std::optional<TimePoint> nextOpen(TimePoint t) const;

  // Same zone, hours and holidays (the name is not compared).
  bool sameSchedule(const BusinessCalendar& other) const;

 private:
  BusinessCalendar() = default;
  bool isHoliday(std::chrono::sys_days local_day) const;

  std::string name_;
  std::string time_zone_name_;
  const date::time_zone* zone_ = nullptr;        // owned by date's tz database, lives forever
  WeeklyHours hours_;                            // each sorted by open_minute
  std::vector<std::chrono::sys_days> holidays_;  // local dates, sorted, unique
};

}  // namespace switchboard::policy
