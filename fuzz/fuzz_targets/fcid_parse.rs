//! Feeds arbitrary bytes to the FCID parser. For every document it accepts, computes the derived
//! view as of several dates and the timeline of every matter, and checks their invariants.

#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use schemas::fcid::{self, EventKind, derive, timeline};
use schemas::lang::Lang;

fuzz_target!(|data: &[u8]| {
    let Ok(document) = fcid::parse(data) else {
        return;
    };
    assert!(document.event_count() <= fcid::MAX_EVENTS);

    let dates = [
        NaiveDate::MIN,
        NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
        document.created_at.date_naive(),
        NaiveDate::MAX,
    ];
    for as_of in dates {
        let view = derive::view(&document, as_of);
        assert_eq!(view.matters.len(), document.matters.len());
        for (m, matter) in view.matters.iter().zip(&document.matters) {
            let imposed: i64 = matter
                .events
                .iter()
                .map(|e| match &e.kind {
                    EventKind::ObligationImposed(o) => o.amount_cents,
                    _ => 0,
                })
                .sum();
            assert_eq!(
                m.imposed_cents, imposed,
                "imposed is the sum of the imposed obligations"
            );
            assert_eq!(
                m.settled_cents + m.outstanding_cents,
                m.imposed_cents,
                "settled + outstanding"
            );
            assert!(m.overdue_cents >= 0, "overdue is never negative");
            assert!(
                m.overdue_cents <= m.outstanding_cents.max(0),
                "overdue at most what is outstanding"
            );
            if let Some(next) = m.next_due {
                assert!(next.date >= as_of, "next due lies on or after as_of");
                assert!(next.cents > 0, "next due is a positive amount");
                assert!(
                    next.cents <= m.outstanding_cents - m.overdue_cents,
                    "next due at most what is open"
                );
            }
            assert_eq!(m.consistent, !m.warnings.iter().any(|w| w.is_inconsistency()));
            for warning in &m.warnings {
                assert!(!warning.text(Lang::Nl).is_empty());
                assert!(!warning.text(Lang::En).is_empty());
            }
        }
        let t = view.totals;
        assert_eq!(
            t.settled_cents + t.outstanding_cents,
            t.imposed_cents,
            "totals: settled + outstanding"
        );
        assert_eq!(
            t.overdue_cents,
            view.matters.iter().map(|m| m.overdue_cents).sum::<i64>()
        );
        serde_json::to_vec(&view).expect("a view serialises");
    }

    for matter in &document.matters {
        let entries = timeline::timeline(matter);
        assert_eq!(entries.len(), matter.events.len(), "one timeline entry per event");
        assert!(
            entries.windows(2).all(|w| w[0].at <= w[1].at),
            "the timeline is in order"
        );
        derive::overdue_kenmerken(matter, document.created_at.date_naive());
    }
});
