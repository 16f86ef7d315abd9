//! Public holidays: dates from the config and all-day events of iCalendar files.
//!
//! The iCalendar reader is our own, deliberately small: it reads the
//! `VEVENT`s of a holiday calendar (`DTSTART;VALUE=DATE`, optional `DTEND` or
//! `DURATION`, `RRULE:FREQ=YEARLY`, `EXDATE`) and nothing else. We looked at
//! the crates first: `icalendar`'s parser reports a bad line at the enclosing
//! `BEGIN:` line of the *unfolded* text, and `ical` carries line numbers only
//! for syntax errors, so with either a bad `DTSTART` could not be reported
//! at its line. An operator fixing a bank-holiday file needs that line, and
//! the part of RFC 5545 a holiday file uses is small.

use std::path::Path;

use chrono::{Datelike, Days, NaiveDate};

use crate::error::{IcsError, Problem};

/// The last year a yearly holiday is expanded to.
///
/// Holidays are kept as a sorted list of dates so that a calendar can ask
/// "is any day of this week a holiday" with one binary search; a yearly rule
/// therefore has to stop somewhere. Clocks never run that far.
pub const YEARLY_HORIZON: i32 = 2199;

/// The longest a single holiday event may last, in days.
const MAX_EVENT_DAYS: u64 = 366;

/// One holiday as a file or the config states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    /// Its first day.
    pub date: NaiveDate,
    /// How many days it lasts (1 unless `DTEND` or `DURATION` say otherwise).
    pub days: u32,
    /// Whether, and until when, it recurs every year.
    pub yearly: Option<Yearly>,
    /// Occurrences left out (`EXDATE`).
    pub except: Vec<NaiveDate>,
    /// Its name, if the file gives one.
    pub summary: Option<String>,
}

/// A `FREQ=YEARLY` recurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yearly {
    /// Every how many years (`INTERVAL`, default 1).
    pub interval: u32,
    /// At most this many occurrences (`COUNT`).
    pub count: Option<u32>,
    /// No occurrence after this date (`UNTIL`).
    pub until: Option<NaiveDate>,
}

/// A set of holiday dates, kept sorted for range queries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidaySet {
    dates: Vec<NaiveDate>,
}

impl HolidaySet {
    /// No holidays.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one date.
    pub fn add_date(&mut self, date: NaiveDate) {
        if let Err(i) = self.dates.binary_search(&date) {
            self.dates.insert(i, date);
        }
    }

    /// Adds every day a holiday covers, expanding a yearly one up to [`YEARLY_HORIZON`].
    pub fn add(&mut self, holiday: &Holiday) {
        let mut firsts = vec![holiday.date];
        if let Some(rule) = &holiday.yearly {
            firsts = yearly_occurrences(holiday.date, rule);
        }
        for first in firsts {
            if holiday.except.contains(&first) {
                continue;
            }
            for k in 0..u64::from(holiday.days) {
                if let Some(day) = first.checked_add_days(Days::new(k)) {
                    self.dates.push(day);
                }
            }
        }
        self.dates.sort_unstable();
        self.dates.dedup();
    }

    /// Whether `date` is a holiday.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.dates.binary_search(&date).is_ok()
    }

    /// Whether any date in `from..until` (end exclusive) is a holiday.
    pub fn any_in(&self, from: NaiveDate, until: NaiveDate) -> bool {
        let i = self.dates.partition_point(|d| *d < from);
        self.dates.get(i).is_some_and(|d| *d < until)
    }

    /// The dates, sorted.
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// How many holiday dates the set holds.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// Whether the set holds no date.
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }
}

/// The first days of a yearly holiday's occurrences, up to [`YEARLY_HORIZON`].
fn yearly_occurrences(start: NaiveDate, rule: &Yearly) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let step = rule.interval.max(1) as i32;
    let mut year = start.year();
    let mut emitted = 0u32;
    while year <= YEARLY_HORIZON {
        if rule.count.is_some_and(|c| emitted >= c) {
            break;
        }
        // RFC 5545 drops occurrences that do not exist (29 February in a
        // common year) rather than moving them.
        if let Some(day) = NaiveDate::from_ymd_opt(year, start.month(), start.day()) {
            if rule.until.is_some_and(|u| day > u) {
                break;
            }
            out.push(day);
            emitted += 1;
        }
        year += step;
    }
    out
}

/// Reads the holidays of an iCalendar file, naming the file and line on error.
pub fn read_ics_file(path: &Path) -> Result<Vec<Holiday>, Problem> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Problem::HolidayFileUnreadable {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        Problem::HolidayFile {
            path: shown.clone(),
            line: good.iter().filter(|b| **b == b'\n').count() + 1,
            reason: "not UTF-8 text".to_owned(),
        }
    })?;
    parse_ics(&text).map_err(|e| Problem::HolidayFile {
        path: shown,
        line: e.line,
        reason: e.reason,
    })
}

/// One content line after unfolding, with the physical line it started on.
struct ContentLine<'a> {
    line: usize,
    name: String,
    params: Vec<(String, String)>,
    value: std::borrow::Cow<'a, str>,
}

/// Parses the all-day events of an iCalendar text into holidays.
///
/// Every `VEVENT` must be all-day (`DTSTART;VALUE=DATE:YYYYMMDD`, or a bare
/// eight-digit date): a holiday that starts at a time of day is refused
/// rather than guessed at. Cancelled events are skipped.
pub fn parse_ics(text: &str) -> Result<Vec<Holiday>, IcsError> {
    let logical = unfold(text)?;
    let err = |line: usize, reason: String| IcsError { line, reason };
    match logical.first() {
        Some((_, first)) if first.trim().eq_ignore_ascii_case("BEGIN:VCALENDAR") => {}
        Some((line, _)) => {
            return Err(err(
                *line,
                "not an iCalendar file: expected BEGIN:VCALENDAR".into(),
            ));
        }
        None => return Err(err(1, "empty file: expected BEGIN:VCALENDAR".into())),
    }
    let lines = logical
        .into_iter()
        .map(|(line, text)| split_line(line, text))
        .collect::<Result<Vec<_>, _>>()?;
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut holidays = Vec::new();
    let mut event: Option<EventDraft> = None;
    for l in &lines {
        match l.name.as_str() {
            "BEGIN" => {
                let what = l.value.to_ascii_uppercase();
                if what == "VEVENT" && stack.len() == 1 {
                    event = Some(EventDraft::new(l.line));
                }
                stack.push((what, l.line));
            }
            "END" => {
                let what = l.value.to_ascii_uppercase();
                match stack.pop() {
                    Some((open, _)) if open == what => {}
                    Some((open, at)) => {
                        return Err(err(
                            l.line,
                            format!("END:{what} but BEGIN:{open} (line {at}) is still open"),
                        ));
                    }
                    None => return Err(err(l.line, format!("END:{what} without a BEGIN"))),
                }
                if what == "VEVENT"
                    && stack.len() == 1
                    && let Some(draft) = event.take()
                    && let Some(h) = draft.finish()?
                {
                    holidays.push(h);
                }
            }
            _ if stack.len() == 2 && stack[1].0 == "VEVENT" => {
                if let Some(draft) = event.as_mut() {
                    draft.property(l)?;
                }
            }
            _ => {}
        }
    }
    if let Some((open, at)) = stack.pop() {
        return Err(err(
            at,
            format!("BEGIN:{open} is never closed with END:{open}"),
        ));
    }
    Ok(holidays)
}

/// Joins folded lines (RFC 5545 3.1), keeping the physical line each starts on.
fn unfold(text: &str) -> Result<Vec<(usize, std::borrow::Cow<'_, str>)>, IcsError> {
    let mut logical: Vec<(usize, std::borrow::Cow<'_, str>)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t']) {
            match logical.last_mut() {
                Some((_, prev)) => prev.to_mut().push_str(rest),
                None => {
                    return Err(IcsError {
                        line: i + 1,
                        reason: "a continuation line with nothing to continue".into(),
                    });
                }
            }
        } else if !raw.trim().is_empty() {
            logical.push((i + 1, std::borrow::Cow::Borrowed(raw)));
        }
    }
    Ok(logical)
}

/// Splits a content line into name, parameters and value.
fn split_line(line: usize, text: std::borrow::Cow<'_, str>) -> Result<ContentLine<'_>, IcsError> {
    // The value starts at the first colon outside a quoted parameter value.
    let mut quoted = false;
    let colon = text.char_indices().find_map(|(i, c)| match c {
        '"' => {
            quoted = !quoted;
            None
        }
        ':' if !quoted => Some(i),
        _ => None,
    });
    let Some(colon) = colon else {
        return Err(IcsError {
            line,
            reason: format!("`{}` is not a NAME:VALUE line", text.trim()),
        });
    };
    let head = &text[..colon];
    let mut parts = head.split(';');
    let name = parts.next().unwrap_or_default().trim().to_ascii_uppercase();
    if name.is_empty() {
        return Err(IcsError {
            line,
            reason: "a property without a name".into(),
        });
    }
    let params = parts
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (
                k.trim().to_ascii_uppercase(),
                v.trim_matches('"').to_owned(),
            ),
            None => (p.trim().to_ascii_uppercase(), String::new()),
        })
        .collect();
    let value = match text {
        std::borrow::Cow::Borrowed(t) => std::borrow::Cow::Borrowed(&t[colon + 1..]),
        std::borrow::Cow::Owned(t) => std::borrow::Cow::Owned(t[colon + 1..].to_owned()),
    };
    Ok(ContentLine {
        line,
        name,
        params,
        value,
    })
}

/// The parts of a `VEVENT` seen so far.
struct EventDraft {
    begin_line: usize,
    start: Option<NaiveDate>,
    end: Option<(NaiveDate, usize)>,
    duration_days: Option<u32>,
    yearly: Option<Yearly>,
    except: Vec<NaiveDate>,
    summary: Option<String>,
    cancelled: bool,
}

impl EventDraft {
    fn new(begin_line: usize) -> Self {
        Self {
            begin_line,
            start: None,
            end: None,
            duration_days: None,
            yearly: None,
            except: Vec::new(),
            summary: None,
            cancelled: false,
        }
    }

    fn property(&mut self, l: &ContentLine<'_>) -> Result<(), IcsError> {
        let err = |reason: String| IcsError {
            line: l.line,
            reason,
        };
        match l.name.as_str() {
            "DTSTART" => self.start = Some(all_day(l, "DTSTART")?),
            "DTEND" => self.end = Some((all_day(l, "DTEND")?, l.line)),
            "DURATION" => self.duration_days = Some(duration_days(&l.value).map_err(err)?),
            "RRULE" => self.yearly = Some(yearly_rule(&l.value).map_err(err)?),
            "EXDATE" => {
                for part in l.value.split(',') {
                    let day = parse_ics_date(part.trim()).ok_or_else(|| {
                        err(format!("EXDATE `{}` is not a date (YYYYMMDD)", part.trim()))
                    })?;
                    self.except.push(day);
                }
            }
            "SUMMARY" => self.summary = Some(unescape(&l.value)),
            "STATUS" => self.cancelled = l.value.trim().eq_ignore_ascii_case("CANCELLED"),
            _ => {}
        }
        Ok(())
    }

    fn finish(self) -> Result<Option<Holiday>, IcsError> {
        let Some(date) = self.start else {
            return Err(IcsError {
                line: self.begin_line,
                reason: "this VEVENT has no DTSTART".into(),
            });
        };
        let days = match (self.end, self.duration_days) {
            (Some((end, line)), _) => {
                let days = (end - date).num_days();
                if days < 1 || days as u64 > MAX_EVENT_DAYS {
                    return Err(IcsError {
                        line,
                        reason: format!(
                            "DTEND {end} must be 1 to {MAX_EVENT_DAYS} days after DTSTART {date} (it is exclusive)"
                        ),
                    });
                }
                days as u32
            }
            (None, Some(d)) => d,
            (None, None) => 1,
        };
        if self.cancelled {
            return Ok(None);
        }
        Ok(Some(Holiday {
            date,
            days,
            yearly: self.yearly,
            except: self.except,
            summary: self.summary,
        }))
    }
}

/// The date of an all-day `DTSTART`/`DTEND`.
fn all_day(l: &ContentLine<'_>, what: &str) -> Result<NaiveDate, IcsError> {
    let value = l.value.trim();
    let declared_date = l
        .params
        .iter()
        .any(|(k, v)| k == "VALUE" && v.eq_ignore_ascii_case("DATE"));
    if !declared_date && value.contains('T') {
        return Err(IcsError {
            line: l.line,
            reason: format!(
                "{what} `{value}` has a time of day; holidays must be all-day events ({what};VALUE=DATE:YYYYMMDD)"
            ),
        });
    }
    parse_ics_date(value).ok_or_else(|| IcsError {
        line: l.line,
        reason: format!("{what} `{value}` is not a date (YYYYMMDD)"),
    })
}

/// `YYYYMMDD` (the date part of a `DATE-TIME` is accepted for `UNTIL`).
fn parse_ics_date(text: &str) -> Option<NaiveDate> {
    let digits = text.get(..8)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = &text[8..];
    if !(rest.is_empty() || rest.starts_with('T')) {
        return None;
    }
    NaiveDate::parse_from_str(digits, "%Y%m%d").ok()
}

/// Whole days of a `DURATION` such as `P1D` or `P2W`.
fn duration_days(text: &str) -> Result<u32, String> {
    let t = text.trim();
    let bad = || format!("DURATION `{t}` is not a whole number of days or weeks (like P1D or P1W)");
    let body = t.strip_prefix('P').ok_or_else(bad)?;
    let (n, unit) = body.split_at(body.len().saturating_sub(1));
    let n: u32 = n.parse().map_err(|_| bad())?;
    let days = match unit {
        "D" => n,
        "W" => n.checked_mul(7).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if days < 1 || u64::from(days) > MAX_EVENT_DAYS {
        return Err(format!("DURATION `{t}` must be 1 to {MAX_EVENT_DAYS} days"));
    }
    Ok(days)
}

/// A `RRULE` that recurs yearly on the start date; anything else is refused
/// rather than silently read as a one-off.
fn yearly_rule(text: &str) -> Result<Yearly, String> {
    let mut freq = None;
    let mut rule = Yearly {
        interval: 1,
        count: None,
        until: None,
    };
    for part in text.trim().split(';').filter(|p| !p.is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("RRULE part `{part}` is not KEY=VALUE"))?;
        match key.to_ascii_uppercase().as_str() {
            "FREQ" => freq = Some(value.to_ascii_uppercase()),
            "INTERVAL" => {
                rule.interval =
                    value.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        format!("RRULE INTERVAL `{value}` is not a positive number")
                    })?;
            }
            "COUNT" => {
                rule.count = Some(
                    value
                        .parse()
                        .map_err(|_| format!("RRULE COUNT `{value}` is not a number"))?,
                );
            }
            "UNTIL" => {
                rule.until = Some(
                    parse_ics_date(value)
                        .ok_or_else(|| format!("RRULE UNTIL `{value}` is not a date"))?,
                );
            }
            "WKST" => {}
            other => {
                return Err(format!(
                    "RRULE part {other} is not supported (only FREQ=YEARLY on the start date, with INTERVAL, COUNT, UNTIL); list those holidays' dates instead"
                ));
            }
        }
    }
    match freq.as_deref() {
        Some("YEARLY") => Ok(rule),
        Some(other) => Err(format!(
            "RRULE FREQ={other} is not supported; holidays recur with FREQ=YEARLY or are listed one by one"
        )),
        None => Err("RRULE without FREQ".into()),
    }
}

/// Undoes RFC 5545 text escapes for display.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push(' '),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests;
