//! One conformance suite for the store seam, run against every engine.
//!
//! Each test body is written once (`async fn name(b: &mut Backend)` in a
//! module below) and [`backend::conformance!`] instantiates it per engine:
//! `sqlite::<name>` and `postgres::<name>`. PostgreSQL runs when
//! `VIGIL_TEST_POSTGRES_URL` names a database (each test in a schema of its
//! own); without it those tests say they are skipped, and fail under
//! `CI=true`. Engine-specific checks (SQLite's file, WAL and migration
//! history) stay in the other files of `tests/`.

mod backend;
mod fixtures;
mod seam_alert_merge;
mod seam_audit;
mod seam_config;
mod seam_desk;
mod seam_estate;
mod seam_fields;
mod seam_governance;
mod seam_ingest;
mod seam_scope;
mod seam_shift;

backend::conformance! {
    seam_config::configuration_round_trips,
    seam_config::references_to_missing_configuration_are_named,
    seam_config::events_alerts_and_dead_letters_round_trip,
    seam_config::long_dead_letters_are_cut_to_the_limit_with_a_note,
    seam_scope::a_scoped_caller_sees_only_its_own_tenant,
    seam_scope::alert_filters_select_what_they_say,
    seam_scope::paging_visits_every_row_exactly_once,
    seam_scope::an_exactly_full_last_page_has_no_next_cursor,
    seam_scope::cursors_the_store_never_issues_are_refused,
    seam_ingest::replaying_a_batch_changes_nothing,
    seam_ingest::new_evidence_merges_into_the_existing_alert,
    seam_ingest::alerts_keep_a_bounded_list_of_entities_and_evidence,
    seam_ingest::concurrent_commits_all_land,
    seam_ingest::reads_run_alongside_writes,
    seam_ingest::a_failing_write_does_not_take_its_group_down,
    seam_ingest::purge_deletes_only_older_events_and_keeps_alerts,
    seam_ingest::purge_drops_whole_days_and_old_days_can_come_back,
    seam_alert_merge::many_detections_of_one_alert_in_a_batch_store_what_one_at_a_time_does,
    seam_alert_merge::every_alert_a_batch_creates_or_grows_reaches_the_desk_feed,
    seam_alert_merge::an_alert_grown_by_several_batches_is_in_the_feed_once_per_batch_as_it_is_now,
    seam_fields::fields_compare_as_text,
    seam_fields::many_filters_at_once_still_work,
    seam_fields::any_field_name_or_value_is_searchable,
    seam_fields::a_class_filter_finds_the_events_of_that_class,
    seam_desk::writes_are_versioned_and_a_stale_write_changes_nothing,
    seam_desk::a_write_with_one_stale_record_stores_none_of_its_records,
    seam_desk::records_are_scoped_filtered_and_ordered,
    seam_desk::records_by_id_are_those_that_exist_of_the_kind_in_scope,
    seam_desk::equal_ranks_are_ordered_oldest_first_whatever_the_ids,
    seam_desk::every_new_or_grown_alert_reaches_the_feed_until_consumed,
    seam_desk::a_lease_has_one_holder_until_it_expires,
    seam_desk::of_concurrent_writers_of_one_version_exactly_one_wins,
    seam_desk::of_nodes_racing_for_a_lease_exactly_one_holds_it,
    seam_desk::a_record_of_several_mebibytes_round_trips_unchanged,
    seam_shift::provider_wide_records_list_by_status_and_time_in_the_providers_scope_only,
    seam_audit::an_untouched_log_verifies_with_its_checkpoints,
    seam_audit::after_a_key_rotation_old_and_new_checkpoints_verify,
    seam_audit::a_tenant_export_verifies_alone_and_holds_only_its_entries,
    seam_audit::concurrent_appenders_make_one_linear_chain,
    seam_estate::the_register_is_replaced_whole_and_scoped,
    seam_estate::one_badge_for_two_people_is_refused_and_nothing_changes,
    seam_estate::devices_panels_and_supervision_round_trip,
    seam_estate::recent_site_events_are_physical_of_the_site_newest_first_and_bounded,
    seam_estate::correlation_state_is_replaced_whole_and_survives_reopening,
    seam_governance::expiry_deletes_one_class_of_one_client_and_records_the_proof,
    seam_governance::purging_a_client_leaves_nothing_of_it_and_everything_of_the_others,
    seam_governance::every_stored_token_is_listed_by_name,
    seam_governance::a_day_emptied_by_every_client_s_retention_is_dropped,
}
