//! NIS-2: Directive (EU) 2022/2555 and Commission Implementing Regulation
//! (EU) 2024/2690.
//!
//! The Directive obliges essential and important entities to report
//! significant incidents to their CSIRT or competent authority in stages
//! (Art. 23(4)); the Implementing Regulation says, for the digital entity
//! types it covers (managed service and managed security service providers
//! among them), when an incident is significant (Articles 3 to 14).

pub mod deadlines;
pub mod profile;
pub mod report;
pub mod significance;
mod text;

pub use deadlines::{
    DeadlineError, DueSoonPolicy, IntermediateRequest, Obligation, ObligationState, Reminder,
    ReminderEvent, ReportingClock, ReportingInput,
};
pub use profile::{
    AuthorityConfig, EntityType, Nis2Profile, Nis2ProfileConfig, ProfileError, ProfileProblem,
    Sector, Turnover, TurnoverBand,
};
pub use report::{
    CrossBorderImpact, IncidentRecord, Indicator, Mitigation, ReportDraft, ReportError, ReportKind,
    Submission, SuspectedCause, Suspicion, TimelineEntry, canonical_json,
};
pub use significance::{
    Assessment, Confirmation, ConfirmationError, CriterionResult, DataCompromise, FactsError,
    IncidentFacts, LimitedAvailability, PreviousIncident, UnauthorisedAccess, UserShare, assess,
};
