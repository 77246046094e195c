//! Prometheus metrics: counts and latencies only. No label ever carries a pod id, a path with
//! one, or anything a citizen typed.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// The provider's counters.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    events: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// Records one answered request of `kind` (`pod`, `signup`, `callback`, `ops`).
    pub fn request(&self, kind: &'static str, status: u16, took: Duration) {
        let class = status / 100 * 100;
        *self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((kind, class))
            .or_default() += 1;
        let mut latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let histogram = latency.entry(kind).or_default();
        let seconds = took.as_secs_f64();
        for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }

    /// Counts an event (`signup`, `unlock_refused`, `fetch_quota_refused`, …).
    pub fn event(&self, name: &'static str) {
        *self
            .events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(name)
            .or_default() += 1;
    }

    /// The Prometheus text format; `unlocked` is the number of pods unlocked on this server.
    pub fn render(&self, unlocked: usize) -> String {
        let mut out = String::new();
        out.push_str("# HELP betaalpod_requests_total Answered requests by kind and status class.\n");
        out.push_str("# TYPE betaalpod_requests_total counter\n");
        for ((kind, class), count) in self.requests.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            out.push_str(&format!(
                "betaalpod_requests_total{{kind=\"{kind}\",status=\"{}xx\"}} {count}\n",
                class / 100
            ));
        }
        out.push_str("# HELP betaalpod_request_duration_seconds Time to answer, by kind.\n");
        out.push_str("# TYPE betaalpod_request_duration_seconds histogram\n");
        for (kind, histogram) in self.latency.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            for (bound, count) in BUCKETS.iter().zip(histogram.counts) {
                out.push_str(&format!(
                    "betaalpod_request_duration_seconds_bucket{{kind=\"{kind}\",le=\"{bound}\"}} {count}\n"
                ));
            }
            out.push_str(&format!(
                "betaalpod_request_duration_seconds_bucket{{kind=\"{kind}\",le=\"+Inf\"}} {}\n",
                histogram.count
            ));
            out.push_str(&format!(
                "betaalpod_request_duration_seconds_sum{{kind=\"{kind}\"}} {}\n",
                histogram.sum
            ));
            out.push_str(&format!(
                "betaalpod_request_duration_seconds_count{{kind=\"{kind}\"}} {}\n",
                histogram.count
            ));
        }
        out.push_str("# HELP betaalpod_events_total Provider events.\n");
        out.push_str("# TYPE betaalpod_events_total counter\n");
        for (name, count) in self.events.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            out.push_str(&format!("betaalpod_events_total{{event=\"{name}\"}} {count}\n"));
        }
        out.push_str("# HELP betaalpod_unlocked_pods Pods unlocked on this server now.\n");
        out.push_str("# TYPE betaalpod_unlocked_pods gauge\n");
        out.push_str(&format!("betaalpod_unlocked_pods {unlocked}\n"));
        out
    }
}
