//! Service contracts and SLA clocks.
//!
//! A managed security service promises each client, per priority class, how
//! soon the desk will acknowledge an alarm, tell the client, contain the
//! threat and resolve the incident, counted on a calendar: round the clock,
//! or business hours in the client's time zone less public holidays. This
//! crate is the pure domain of those promises; the desk and the server wire
//! it in.
//!
//! - [`config`]: the `[tenants.contract]` table of `vigil.toml` and its
//!   validation into a [`Contract`], refusing what makes no sense with the
//!   client and the place named.
//! - [`contract`]: classes, targets, and the rules that give an alarm or
//!   incident its class.
//! - [`calendar`] and [`holidays`]: service calendars and business-time
//!   arithmetic, correct across daylight-saving changes, skipping whole weeks.
//! - [`clock`]: the SLA clock (running, paused, met, warned, breached) and
//!   the threshold crossings the desk raises exactly once.
//! - [`recompute()`]: the same clock folded from recorded transitions.
//! - [`ContractSet`]: every client's contract, and the default.
//!
//! Nothing here reads the wall clock: every function takes `now`.

#![warn(missing_docs)]

pub mod calendar;
pub mod clock;
pub mod config;
pub mod contract;
mod error;
pub mod holidays;
mod recompute;
mod set;
mod zone;

pub use calendar::{ALWAYS, ServiceCalendar, WeekHours};
pub use clock::{
    ClockState, CrossingEvent, PauseInfo, PauseState, SlaClock, SlaCrossing, SlaReading, SlaTarget,
    SlaTransition, TransitionError, TransitionKind, crossings,
};
pub use config::{
    CalendarConfig, ClassConfig, ContractConfig, DEFAULT_WARN_FRACTION, DurationText, RuleConfig,
};
pub use contract::{Category, ClassRule, ClassTerms, Contract, Measure, PriorityClass, Subject};
pub use error::{ContractError, HoursError, IcsError, Problem};
pub use holidays::{Holiday, HolidaySet, Yearly};
pub use recompute::recompute;
pub use set::{ContractSet, DEFAULT_CLIENT, DEFAULT_CONTRACT_TOML};
