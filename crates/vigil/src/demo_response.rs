//! The demo clients' response plans: a keyholder per site and one for every
//! site, a security contact, the guard service, and the police for
//! intrusions and a terminated person's badge — so that the demo's alarms
//! show whom to call. Numbers are from the ranges set aside for drama
//! (+44 20 7946 0xxx, Ofcom), so nobody real is ever called.

use vigil_desk::procedure::{Callee, Responder, ResponsePlan, ResponsePlans};
use vigil_sim::World;

/// A plan per simulated client.
pub fn response_plans(world: &World) -> ResponsePlans {
    let mut plans = ResponsePlans::new();
    for (i, tw) in world.tenants.iter().enumerate() {
        let phone = |n: usize| format!("+44 20 7946 0{:03}", (i * 100 + n) % 1000);
        let mut keyholders: Vec<Callee> = tw
            .sites
            .iter()
            .enumerate()
            .map(|(j, site)| Callee {
                name: format!("{} site keyholder", site.name),
                role: Some("Keyholder".into()),
                phone: phone(10 + j),
                sites: vec![site.id.clone()],
            })
            .collect();
        keyholders.push(Callee {
            name: format!("{} facilities duty manager", tw.tenant.name),
            role: Some("Keyholder, every site".into()),
            phone: phone(30),
            sites: Vec::new(),
        });
        plans.insert(
            tw.tenant.id.clone(),
            ResponsePlan {
                contacts: vec![Callee {
                    name: format!("{} security desk", tw.tenant.name),
                    role: Some("Head of security".into()),
                    phone: phone(1),
                    sites: Vec::new(),
                }],
                keyholders,
                guard: Some(Callee {
                    name: "Mobile patrol (demo)".into(),
                    role: None,
                    phone: phone(50),
                    sites: Vec::new(),
                }),
                police: Some(Responder {
                    name: "Police (demo)".into(),
                    phone: phone(99),
                    procedures: vec!["intrusion".into(), "terminated-badge".into()],
                }),
                fire: Some(Responder {
                    name: "Fire brigade (demo)".into(),
                    phone: phone(98),
                    procedures: Vec::new(),
                }),
                required_before_close: Vec::new(),
            },
        );
    }
    plans
}
