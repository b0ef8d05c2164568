// Business-hours calendars: opening and closing minutes, overnight shifts, holidays, DST days
// in America/New_York, Asia/Seoul (no DST), and nextOpen() across all of them.
#include "router/policy/calendar.h"

#include <gtest/gtest.h>

#include "tests/unit/router/policy/policy_test_util.h"

namespace switchboard::policy {
namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;
using testing::utc;

constexpr unsigned kSun = 0, kMon = 1, kTue = 2, kWed = 3, kThu = 4, kFri = 5, kSat = 6;

Shift shift(std::string_view text) {
  auto s = parseShift(text);
  EXPECT_TRUE(s) << text;
  return s ? *s : Shift{};
}

std::chrono::sys_days day(int y, unsigned m, unsigned d) {
  return std::chrono::sys_days(std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d));
}

// The example's New York desk: weekdays 08-20, Friday also 22-02 overnight, Saturday 10-16,
// closed Thanksgiving and Christmas 2026.
BusinessCalendar newYork() {
  BusinessCalendar::WeeklyHours hours;
  for (unsigned d : {kMon, kTue, kWed, kThu, kFri}) hours[d] = {shift("08:00-20:00")};
  hours[kFri].push_back(shift("22:00-02:00"));
  hours[kSat] = {shift("10:00-16:00")};
  auto calendar = BusinessCalendar::make("new-york", "America/New_York", hours,
                                         {day(2026, 11, 26), day(2026, 12, 25)});
  EXPECT_TRUE(calendar);
  return std::move(*calendar);
}

BusinessCalendar seoul() {
  BusinessCalendar::WeeklyHours hours;
  for (unsigned d : {kMon, kTue, kWed, kThu, kFri}) hours[d] = {shift("09:00-18:00")};
  auto calendar = BusinessCalendar::make(
      "seoul", "Asia/Seoul", hours,
      {day(2026, 1, 1), day(2026, 2, 16), day(2026, 2, 17), day(2026, 2, 18)});
  EXPECT_TRUE(calendar);
  return std::move(*calendar);
}

BusinessCalendar sundayOnly(std::string_view hours_text) {
  BusinessCalendar::WeeklyHours hours;
  hours[kSun] = {shift(hours_text)};
  auto calendar = BusinessCalendar::make("sunday", "America/New_York", hours, {});
  EXPECT_TRUE(calendar);
  return std::move(*calendar);
}

TEST(PolicyCalendar, ParsesShifts) {
  EXPECT_EQ(shift("09:00-18:00"), (Shift{540, 1080}));
  EXPECT_EQ(shift("22:00-06:00"), (Shift{1320, 1800}));  // overnight
  EXPECT_EQ(shift("00:00-24:00"), (Shift{0, 1440}));
  EXPECT_EQ(shift("08:00-08:00"), (Shift{480, 1920}));  // 24 h from 08:00
  EXPECT_EQ(formatShift(shift("22:00-06:00")), "22:00-06:00");
  EXPECT_EQ(formatShift(shift("00:00-24:00")), "00:00-24:00");
  for (const char* bad : {"9-18", "09:00", "24:00-01:00", "09:60-10:00", "09:00-24:01", "0900-1800",
                          "09:00-18:00x"}) {
    auto s = parseShift(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().code(), Errc::kConfig);
  }
  EXPECT_EQ(parseShift("9-18").error().message(),
            "bad shift \"9-18\": expected HH:MM-HH:MM with hours 00-23 (close also 24:00) "
            "(write e.g. \"09:00-18:00\")");
}

TEST(PolicyCalendar, UnknownTimeZone) {
  BusinessCalendar::WeeklyHours hours;
  hours[kMon] = {shift("09:00-17:00")};
  auto calendar = BusinessCalendar::make("x", "Mars/Olympus_Mons", hours, {});
  ASSERT_FALSE(calendar);
  EXPECT_EQ(calendar.error().message(),
            "unknown time zone \"Mars/Olympus_Mons\" (expected an IANA name such as "
            "\"Asia/Seoul\", from the tz database in /usr/share/zoneinfo)");
}

TEST(PolicyCalendar, OpeningAndClosingMinuteInWinter) {
  const BusinessCalendar ny = newYork();
  // Monday 2026-01-05, EST (UTC-5): 08:00 local is 13:00Z, 20:00 local is 01:00Z on Tuesday.
  EXPECT_FALSE(ny.isOpen(utc(2026, 1, 5, 12, 59, 59)));
  EXPECT_TRUE(ny.isOpen(utc(2026, 1, 5, 13, 0, 0)));
  EXPECT_TRUE(ny.isOpen(utc(2026, 1, 6, 0, 59, 59) + nanoseconds(999'999'999)));
  EXPECT_FALSE(ny.isOpen(utc(2026, 1, 6, 1, 0, 0)));
  EXPECT_EQ(ny.nextOpen(utc(2026, 1, 5, 12, 59, 59)), utc(2026, 1, 5, 13));
  EXPECT_EQ(ny.nextOpen(utc(2026, 1, 5, 13, 0, 0)), utc(2026, 1, 5, 13));  // open: now
  EXPECT_EQ(ny.nextOpen(utc(2026, 1, 6, 1, 0, 0)), utc(2026, 1, 6, 13));
}

TEST(PolicyCalendar, SummerHoursFollowDaylightSavingTime) {
  const BusinessCalendar ny = newYork();
  // Monday 2026-07-06, EDT (UTC-4): 08:00 local is 12:00Z.
  EXPECT_FALSE(ny.isOpen(utc(2026, 7, 6, 11, 59)));
  EXPECT_TRUE(ny.isOpen(utc(2026, 7, 6, 12, 0)));
  EXPECT_TRUE(ny.isOpen(utc(2026, 7, 6, 23, 59)));
  EXPECT_FALSE(ny.isOpen(utc(2026, 7, 7, 0, 0)));
}

TEST(PolicyCalendar, WeekendAcrossSpringForward) {
  const BusinessCalendar ny = newYork();
  // Saturday 2026-03-07 closes 16:00 EST (21:00Z); DST starts Sunday 03-08 at 02:00 local, so
  // Monday opens at 08:00 EDT = 12:00Z, an hour earlier in UTC than the Friday before (13:00Z).
  EXPECT_TRUE(ny.isOpen(utc(2026, 3, 6, 13, 0)));
  EXPECT_FALSE(ny.isOpen(utc(2026, 3, 6, 12, 59)));
  EXPECT_FALSE(ny.isOpen(utc(2026, 3, 7, 21, 0)));
  EXPECT_EQ(ny.nextOpen(utc(2026, 3, 7, 21, 0)), utc(2026, 3, 9, 12, 0));
  EXPECT_FALSE(ny.isOpen(utc(2026, 3, 9, 11, 59)));
  EXPECT_TRUE(ny.isOpen(utc(2026, 3, 9, 12, 0)));
}

TEST(PolicyCalendar, ShiftOpeningInsideTheSpringForwardGap) {
  // 02:30 does not exist on 2026-03-08 in New York (01:59:59 EST → 03:00:00 EDT at 07:00Z):
  // the shift opens at the transition and closes at 05:00 EDT = 09:00Z.
  const BusinessCalendar c = sundayOnly("02:30-05:00");
  EXPECT_FALSE(c.isOpen(utc(2026, 3, 8, 6, 59, 59)));  // 01:59:59 EST
  EXPECT_TRUE(c.isOpen(utc(2026, 3, 8, 7, 0, 0)));     // 03:00:00 EDT
  EXPECT_EQ(c.nextOpen(utc(2026, 3, 8, 5, 0)), utc(2026, 3, 8, 7, 0));
  EXPECT_TRUE(c.isOpen(utc(2026, 3, 8, 8, 59, 59)));
  EXPECT_FALSE(c.isOpen(utc(2026, 3, 8, 9, 0, 0)));
  // The Sunday before, EST all day: 02:30 EST = 07:30Z.
  EXPECT_EQ(c.nextOpen(utc(2026, 3, 1, 5, 0)), utc(2026, 3, 1, 7, 30));
}

TEST(PolicyCalendar, RepeatedHourOnFallBack) {
  // 2026-11-01: 01:59:59 EDT (05:59:59Z) is followed by 01:00:00 EST (06:00Z). A 01:30-02:00
  // shift is open during both 01:30s: 05:30-06:00Z and 06:30-07:00Z, not in between.
  const BusinessCalendar c = sundayOnly("01:30-02:00");
  EXPECT_EQ(c.nextOpen(utc(2026, 11, 1, 4, 0)), utc(2026, 11, 1, 5, 30));  // the first 01:30
  EXPECT_TRUE(c.isOpen(utc(2026, 11, 1, 5, 30)));
  EXPECT_TRUE(c.isOpen(utc(2026, 11, 1, 5, 59, 59)));
  EXPECT_FALSE(c.isOpen(utc(2026, 11, 1, 6, 0)));  // 01:00 EST
  EXPECT_FALSE(c.isOpen(utc(2026, 11, 1, 6, 29, 59)));
  EXPECT_TRUE(c.isOpen(utc(2026, 11, 1, 6, 30)));  // 01:30 EST
  EXPECT_FALSE(c.isOpen(utc(2026, 11, 1, 7, 0)));  // 02:00 EST
  // After the second one closes, the next opening is a week later (EST: 06:30Z).
  EXPECT_EQ(c.nextOpen(utc(2026, 11, 1, 7, 0)), utc(2026, 11, 8, 6, 30));

  // The regular desk: Monday after the change opens 08:00 EST = 13:00Z again.
  const BusinessCalendar ny = newYork();
  EXPECT_EQ(ny.nextOpen(utc(2026, 10, 31, 21, 0)), utc(2026, 11, 2, 13, 0));
}

TEST(PolicyCalendar, OvernightShiftRunsIntoTheNextDay) {
  const BusinessCalendar ny = newYork();
  // Friday 2026-01-09: 20:00-22:00 EST closed (01:00Z-03:00Z Saturday), open 22:00 → 02:00.
  EXPECT_FALSE(ny.isOpen(utc(2026, 1, 10, 2, 59)));
  EXPECT_EQ(ny.nextOpen(utc(2026, 1, 10, 1, 0)), utc(2026, 1, 10, 3, 0));
  EXPECT_TRUE(ny.isOpen(utc(2026, 1, 10, 3, 0)));
  EXPECT_TRUE(ny.isOpen(utc(2026, 1, 10, 5, 0)));       // midnight local, Saturday
  EXPECT_TRUE(ny.isOpen(utc(2026, 1, 10, 6, 59, 59)));  // 01:59:59 Saturday
  EXPECT_FALSE(ny.isOpen(utc(2026, 1, 10, 7, 0)));      // 02:00 Saturday
  EXPECT_EQ(ny.nextOpen(utc(2026, 1, 10, 7, 0)), utc(2026, 1, 10, 15, 0));  // Sat 10:00 EST
  // Thursday has no overnight shift: Friday 00:30 EST is closed.
  EXPECT_FALSE(ny.isOpen(utc(2026, 1, 9, 5, 30)));
}

TEST(PolicyCalendar, HolidayClosesTheShiftsStartingThatDay) {
  const BusinessCalendar ny = newYork();
  // Thanksgiving, Thursday 2026-11-26: closed; Friday opens 08:00 EST = 13:00Z.
  EXPECT_FALSE(ny.isOpen(utc(2026, 11, 26, 15, 0)));
  EXPECT_EQ(ny.nextOpen(utc(2026, 11, 26, 15, 0)), utc(2026, 11, 27, 13, 0));
  EXPECT_TRUE(ny.isOpen(utc(2026, 11, 25, 15, 0)));  // the Wednesday before is normal
  // Christmas, Friday 2026-12-25: both Friday shifts are off, including the part of the
  // overnight shift that would run into Saturday; Saturday opens 10:00 EST = 15:00Z.
  EXPECT_FALSE(ny.isOpen(utc(2026, 12, 25, 15, 0)));
  EXPECT_FALSE(ny.isOpen(utc(2026, 12, 26, 4, 0)));  // Fri 23:00 EST
  EXPECT_FALSE(ny.isOpen(utc(2026, 12, 26, 6, 0)));  // Sat 01:00 EST
  EXPECT_EQ(ny.nextOpen(utc(2026, 12, 25, 15, 0)), utc(2026, 12, 26, 15, 0));
}

TEST(PolicyCalendar, OvernightShiftStartedBeforeAHolidayKeepsGoing) {
  BusinessCalendar::WeeklyHours hours;
  hours[kThu] = {shift("22:00-06:00")};
  auto calendar = BusinessCalendar::make("night", "America/New_York", hours,
                                         {day(2026, 11, 27)});  // the Friday
  ASSERT_TRUE(calendar);
  // Thursday 2026-11-26 22:00 EST = Friday 03:00Z; the shift runs until Friday 06:00 EST.
  EXPECT_TRUE(calendar->isOpen(utc(2026, 11, 27, 10, 59)));
  EXPECT_FALSE(calendar->isOpen(utc(2026, 11, 27, 11, 0)));
}

TEST(PolicyCalendar, SeoulHasNoDaylightSavingTime) {
  const BusinessCalendar c = seoul();
  // KST is UTC+9 all year: 09:00 is 00:00Z, 18:00 is 09:00Z, in January and in July.
  EXPECT_FALSE(c.isOpen(utc(2026, 1, 4, 23, 59, 59)));  // Monday 08:59:59
  EXPECT_TRUE(c.isOpen(utc(2026, 1, 5, 0, 0)));
  EXPECT_TRUE(c.isOpen(utc(2026, 1, 5, 8, 59, 59)));
  EXPECT_FALSE(c.isOpen(utc(2026, 1, 5, 9, 0)));
  EXPECT_TRUE(c.isOpen(utc(2026, 7, 6, 0, 0)));
  EXPECT_FALSE(c.isOpen(utc(2026, 7, 5, 23, 59)));
  // Friday evening → Monday morning.
  EXPECT_EQ(c.nextOpen(utc(2026, 1, 9, 9, 0)), utc(2026, 1, 12, 0, 0));
  // New Year's Day (Thursday) is a holiday: the next opening is Friday 09:00 KST.
  EXPECT_FALSE(c.isOpen(utc(2026, 1, 1, 2, 0)));
  EXPECT_EQ(c.nextOpen(utc(2026, 1, 1, 2, 0)), utc(2026, 1, 2, 0, 0));
  // Seollal, Monday-Wednesday 2026-02-16..18: from Friday evening to Thursday morning.
  EXPECT_EQ(c.nextOpen(utc(2026, 2, 13, 10, 0)), utc(2026, 2, 19, 0, 0));
}

TEST(PolicyCalendar, NextOpenGivesUpAfterAYear) {
  BusinessCalendar::WeeklyHours hours;
  hours[kMon] = {shift("09:00-17:00")};
  std::vector<std::chrono::sys_days> holidays;
  for (int week = 0; week < 60; ++week) {
    holidays.push_back(day(2026, 1, 5) + std::chrono::days(7 * week));  // every Monday
  }
  auto calendar = BusinessCalendar::make("never", "UTC", hours, holidays);
  ASSERT_TRUE(calendar);
  EXPECT_EQ(calendar->nextOpen(utc(2026, 1, 1)), std::nullopt);
  EXPECT_FALSE(calendar->isOpen(utc(2026, 1, 5, 10)));
  EXPECT_EQ(calendar->nextOpen(utc(2027, 1, 1)), utc(2027, 3, 1, 9));  // after the 60th
}

}  // namespace
}  // namespace switchboard::policy
