//! Screen sizes: the browser resized to a viewport, and the elements that
//! run off its sides.

use super::Fixture;

/// The elements that reach past the viewport's sides (those inside a box
/// that clips or scrolls sideways are that box's business), and the
/// page's own sideways scroll width.
pub const OVERFLOW: &str = r##"
const vw = document.documentElement.clientWidth;
const bad = [];
for (const el of document.querySelectorAll("body *")) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  let clipped = false;
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== "visible") { clipped = true; break; }
  }
  if (clipped) continue;
  if (r.right > vw + 1 || r.left < -1) {
    bad.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : ""} ${Math.round(r.left)}..${Math.round(r.right)} of ${vw}`);
  }
}
return { bad: bad.slice(0, 12), scroll: document.documentElement.scrollWidth, vw };
"##;

/// Resizes the browser so that its viewport is `w`×`h`.
pub async fn viewport(f: &Fixture, w: u32, h: u32) {
    f.driver().set_window_rect(0, 0, w, h).await.unwrap();
    let inner = f
        .driver()
        .execute("return [innerWidth, innerHeight];", vec![])
        .await
        .unwrap()
        .json()
        .clone();
    let (iw, ih) = (
        inner[0].as_i64().unwrap_or(0),
        inner[1].as_i64().unwrap_or(0),
    );
    let ow = i64::from(w) + (i64::from(w) - iw);
    let oh = i64::from(h) + (i64::from(h) - ih);
    f.driver()
        .set_window_rect(0, 0, ow as u32, oh as u32)
        .await
        .unwrap();
}

/// What runs off the sides of the page as it is now: the elements past
/// the viewport, or the page's own sideways scroll; empty when nothing.
pub async fn overflowing(f: &Fixture) -> Vec<String> {
    let report = f
        .driver()
        .execute(OVERFLOW, vec![])
        .await
        .unwrap()
        .json()
        .clone();
    let mut out: Vec<String> = report["bad"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| b.as_str().unwrap_or_default().to_owned())
        .collect();
    if report["scroll"].as_i64() > report["vw"].as_i64() {
        out.push(format!(
            "the page scrolls sideways: {} of {}",
            report["scroll"], report["vw"]
        ));
    }
    out
}
