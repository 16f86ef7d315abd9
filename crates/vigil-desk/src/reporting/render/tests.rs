//! The renderers on the sample month: the CSV parses back to the figures,
//! the HTML and the PDF carry them.

use super::*;
use crate::reporting::service::tests::sample_report;

#[test]
fn formats_parse_by_name_and_refuse_others() {
    assert_eq!("PDF".parse::<Format>().unwrap(), Format::Pdf);
    assert_eq!(
        "csv".parse::<Format>().unwrap().content_type(),
        "text/csv; charset=utf-8"
    );
    let e = "docx".parse::<Format>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "format `docx` is not one of json, csv, html, pdf"
    );
}

#[test]
fn the_csv_parses_back_and_its_rows_recount_the_figures() {
    let report = sample_report();
    let bytes = render(&report, Format::Csv).unwrap();
    let mut reader = ::csv::Reader::from_reader(bytes.as_slice());
    let rows: Vec<CsvRow> = reader.deserialize().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows, csv_rows(&report));
    let figure = |name: &str| {
        rows.iter()
            .find(|r| r.record == "summary" && r.figure == name)
            .map(|r| r.value.clone())
            .unwrap()
    };
    assert_eq!(figure("alarms"), "5");
    assert_eq!(figure("acknowledged_within_60s_share"), "0.5000");
    // Recounted from the alarm rows alone.
    let for_people: Vec<&CsvRow> = rows
        .iter()
        .filter(|r| r.record == "alarm" && r.in_month == "true" && r.for_people == "true")
        .collect();
    let within_60 = for_people
        .iter()
        .filter(|r| r.acknowledge_s.parse::<f64>().is_ok_and(|s| s <= 60.0))
        .count();
    assert_eq!((within_60, for_people.len()), (2, 4));
    assert_eq!(figure("acknowledged_within_60s"), within_60.to_string());
    let met = rows
        .iter()
        .filter(|r| r.record == "clock" && r.in_month == "true" && r.for_people == "true")
        .filter(|r| r.outcome == "met")
        .count();
    assert_eq!(figure("sla_met_all"), met.to_string());
    let weeks = rows
        .iter()
        .filter(|r| r.record == "week" && r.figure == "alarms")
        .count();
    assert_eq!(weeks, report.weeks.len());
    assert_eq!(rows.iter().filter(|r| r.record == "device").count(), 1);
    // Health over time: the device's failures and MTBF, recounted from its
    // measured and down seconds; the client's the same with one device.
    let health = |record: &str, name: &str| {
        rows.iter()
            .find(|r| r.record == record && r.figure == name)
            .unwrap_or_else(|| panic!("{record} {name}"))
            .clone()
    };
    let failures = health("device_health", "failures");
    assert_eq!(
        (failures.id.as_str(), failures.value.as_str()),
        ("panel-1", "1")
    );
    let mtbf = health("device_health", "mtbf_s");
    let up = mtbf.measured_s.parse::<f64>().unwrap() - mtbf.down_s.parse::<f64>().unwrap();
    assert_eq!(mtbf.value.parse::<f64>().unwrap(), up);
    assert_eq!(mtbf.down_s, "21600", "six hours down");
    assert_eq!(health("device_health", "flapping").value, "false");
    let client = health("client_health", "mtbf_s");
    assert_eq!(
        (client.tenant.as_str(), client.value.as_str()),
        ("northgate", mtbf.value.as_str())
    );
    assert_eq!(health("client_health", "failures").value, "1");
    assert_eq!(figure("device_failures"), "1");
    assert_eq!(figure("device_flapping"), "0");
}

#[test]
fn the_html_is_one_page_with_the_figures_and_inline_charts() {
    let report = sample_report();
    let html = String::from_utf8(render(&report, Format::Html).unwrap()).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("Northgate Colocation"));
    assert!(html.contains("March 2026"));
    assert!(html.contains("50.0 % (2 of 4)"), "acknowledged within 60 s");
    assert!(html.contains("33.3 %"), "the false-alarm rate");
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(html.contains("<polyline"), "the weekly trend is drawn");
    assert!(html.contains("Health over time") && html.contains("MTBF"));
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
}

#[test]
fn the_html_escapes_what_it_is_given() {
    let mut report = sample_report();
    report.client.name = "<b>Acme & Co</b>".into();
    let html = String::from_utf8(render(&report, Format::Html).unwrap()).unwrap();
    assert!(html.contains("&lt;b&gt;Acme &amp; Co&lt;/b&gt;"));
    assert!(!html.contains("<b>Acme"));
}

#[test]
fn the_pdf_carries_the_client_and_the_figures() {
    let report = sample_report();
    let pdf = render(&report, Format::Pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.ends_with(b"%%EOF") || pdf.ends_with(b"%%EOF\n"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = match std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) => out,
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped: pdftotext (Debian's poppler-utils) is not installed: {e}");
            return;
        }
        Err(e) => panic!("pdftotext (poppler-utils) is needed under CI: {e}"),
    };
    assert!(
        out.status.success(),
        "pdftotext refused the file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Northgate Colocation"), "{text}");
    assert!(text.contains("Monthly service report"));
    assert!(text.contains("50.0 % (2 of 4)"), "{text}");
    assert!(text.contains("page 1 of"));
    assert!(text.contains("Health over time"), "{text}");
}

#[test]
fn file_names_say_whom_and_when() {
    let report = sample_report();
    assert_eq!(
        file_name(&report, Format::Pdf),
        "service-report-northgate-2026-03.pdf"
    );
}
