//! What kind of matter an alarm or incident is, and how an alarm is
//! sorted into one.

use vigil_model::{Entity, EntityKind};

pub use vigil_model::Category;

/// What a rule is, for sorting its alarms into categories: its tags and
/// its log source's category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFacts {
    /// The rule's tags (`vigil.physical`, `vigil.converged`, `attack.t1078` …).
    pub tags: Vec<String>,
    /// Its `logsource.category`, when written.
    pub logsource_category: Option<String>,
}

/// The category of an alarm: from its rule's tags and log source when the
/// rule is known, else from the kinds of things it is about.
pub fn category(facts: Option<&RuleFacts>, entities: &[Entity]) -> Category {
    if let Some(f) = facts {
        let tagged = |names: &[&str]| {
            f.tags
                .iter()
                .any(|t| names.iter().any(|n| t.eq_ignore_ascii_case(n)))
        };
        let source = f.logsource_category.as_deref().unwrap_or("");
        if tagged(&["vigil.converged"]) {
            return Category::Converged;
        }
        if tagged(&["vigil.sensors", "vigil.environment", "vigil.ot"]) || source == "sensor_reading"
        {
            return Category::Environmental;
        }
        if tagged(&[
            "vigil.physical",
            "vigil.video",
            "vigil.intrusion",
            "vigil.device",
            "vigil.supervision",
        ]) || matches!(
            source,
            "physical_access"
                | "intrusion_alarm"
                | "fire_alarm"
                | "video_analytics"
                | "device_status"
        ) {
            return Category::Physical;
        }
        return Category::Cyber;
    }
    let has = |kinds: &[EntityKind]| entities.iter().any(|e| kinds.contains(&e.kind));
    if has(&[EntityKind::Sensor]) {
        Category::Environmental
    } else if has(&[
        EntityKind::Door,
        EntityKind::Camera,
        EntityKind::Badge,
        EntityKind::Zone,
        EntityKind::Device,
    ]) {
        Category::Physical
    } else {
        Category::Cyber
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(tags: &[&str], source: Option<&str>) -> RuleFacts {
        RuleFacts {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            logsource_category: source.map(str::to_owned),
        }
    }

    #[test]
    fn categories_come_from_tags_then_log_source_then_entities() {
        let door = [Entity::new(EntityKind::Door, "d1")];
        let host = [Entity::new(EntityKind::Host, "pc1")];
        let sensor = [Entity::new(EntityKind::Sensor, "t1")];
        let converged = facts(&["vigil.physical", "vigil.converged"], None);
        assert_eq!(category(Some(&converged), &door), Category::Converged);
        let physical = facts(&["vigil.physical"], Some("physical_access"));
        assert_eq!(category(Some(&physical), &host), Category::Physical);
        let video = facts(&[], Some("video_analytics"));
        assert_eq!(category(Some(&video), &[]), Category::Physical);
        let env = facts(&["vigil.sensors"], Some("sensor_reading"));
        assert_eq!(category(Some(&env), &door), Category::Environmental);
        let cyber = facts(&["attack.t1078"], Some("authentication"));
        assert_eq!(category(Some(&cyber), &door), Category::Cyber);
        assert_eq!(category(None, &door), Category::Physical);
        assert_eq!(category(None, &sensor), Category::Environmental);
        assert_eq!(category(None, &host), Category::Cyber);
    }
}
