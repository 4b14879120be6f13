//! The highest rate a server sustains: open-loop stages on one set of connections,
//! doubling the rate until a stage fails, then halving the interval between the
//! highest pass and the lowest failure a few times.
//!
//! A stage passes when nothing is lost, doubled or refused, no connection is closed,
//! the deliveries keep up with the rate offered, and the p99 latency — measured
//! from each message's *scheduled* send time, so that a generator or server that
//! falls behind shows as latency (no coordinated omission) — is within the bound.

use super::Report;

/// How to search.
#[derive(Debug, Clone)]
pub struct Search {
    /// Deliveries a second of the first stage.
    pub start_deliveries: f64,
    /// Factor between stages until one fails.
    pub factor: f64,
    /// Stages between the highest pass and the lowest failure, after the first
    /// failure (each halves the interval, geometrically).
    pub refine: u32,
    /// Most stages in all.
    pub max_stages: usize,
    /// Highest p99 latency of a passing stage, µs.
    pub max_p99_us: u64,
    /// Lowest deliveries/s of a passing stage, as a share of those offered.
    pub min_keep_up: f64,
    /// No stage above this many deliveries a second (what the generator can check).
    pub max_deliveries: f64,
}

impl Default for Search {
    fn default() -> Self {
        Search {
            start_deliveries: 20_000.0,
            factor: 2.0,
            refine: 3,
            max_stages: 14,
            max_p99_us: 50_000,
            min_keep_up: 0.95,
            max_deliveries: 4_000_000.0,
        }
    }
}

/// The rate offered by a stage, deliveries a second.
fn offered(r: &Report) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let members = r.scenario.members as f64;
    r.scenario.rate.unwrap_or(0.0) * members
}

impl Search {
    /// Why a stage failed, or None when it passed.
    pub fn failure(&self, r: &Report) -> Option<String> {
        if r.lost > 0 || r.duplicated > 0 {
            return Some(format!("{} lost, {} duplicated", r.lost, r.duplicated));
        }
        if r.publish_errors > 0 {
            return Some(format!("{} sends refused", r.publish_errors));
        }
        let closed: u64 = r.disconnects.values().sum();
        if closed > 0 {
            return Some(format!("{closed} connections closed"));
        }
        if r.latency_us.p99 > self.max_p99_us {
            return Some(format!("p99 {:.1} ms", r.latency_us.p99 as f64 / 1000.0));
        }
        if r.deliveries_per_sec < self.min_keep_up * offered(r) {
            return Some(format!(
                "{:.0} of {:.0} deliveries/s",
                r.deliveries_per_sec,
                offered(r)
            ));
        }
        None
    }

    /// The highest passing stage.
    pub fn best<'a>(&self, stages: &'a [Report]) -> Option<&'a Report> {
        stages
            .iter()
            .filter(|r| self.failure(r).is_none())
            .max_by(|a, b| offered(a).total_cmp(&offered(b)))
    }

    /// The next stage's rate in messages a second (for a room of `members`), or
    /// None when the search is over.
    pub fn next(&self, members: usize, stages: &[Report]) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        let members = members.max(1) as f64;
        let pass = self.best(stages).map(offered);
        let fail = stages
            .iter()
            .filter(|r| self.failure(r).is_some())
            .map(offered)
            .min_by(f64::total_cmp);
        if stages.len() >= self.max_stages {
            return None;
        }
        let deliveries = match (pass, fail) {
            (None, None) => self.start_deliveries,
            (Some(p), None) => p * self.factor,
            (None, Some(f)) => f / self.factor,
            (Some(p), Some(f)) => {
                let after_failure = stages
                    .iter()
                    .position(|r| self.failure(r).is_some())
                    .map_or(0, |i| stages.len() - i - 1);
                if after_failure >= self.refine as usize || f <= p {
                    return None;
                }
                (p * f).sqrt()
            }
        };
        if deliveries > self.max_deliveries || deliveries < members {
            return None;
        }
        Some(deliveries / members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Latency, Scenario, Target};

    fn stage(rate: f64, p99_ms: u64) -> Report {
        let scenario = Scenario {
            rooms: 1,
            members: 100,
            publishers: 1,
            rate: Some(rate),
            window: 0,
            payload: 100,
            duration_secs: 1.0,
            warmup_secs: 0.0,
        };
        Report {
            label: "s".into(),
            target: Target::Chatcore,
            scenario_name: scenario.name(),
            clients: 100,
            published: 1,
            publish_errors: 0,
            expected: 100,
            delivered: 100,
            lost: 0,
            duplicated: 0,
            deliveries_per_sec: rate * 100.0,
            messages_per_sec: rate,
            measured_secs: 1.0,
            latency_us: Latency {
                p99: p99_ms * 1000,
                ..Latency::default()
            },
            disconnects: Default::default(),
            server_rss_before_kib: None,
            server_rss_connected_kib: None,
            server_rss_end_kib: None,
            memory_per_connection_bytes: None,
            server_cpu: None,
            deliveries_per_cpu_sec: None,
            generator_cpu: None,
            connect_secs: 0.0,
            scenario,
        }
    }

    #[test]
    fn doubles_until_a_failure_then_narrows_down() {
        let s = Search::default();
        // A server that holds p99 under 50 ms up to 1,000 msg/s (100,000 deliveries/s).
        let server = |rate: f64| stage(rate, if rate <= 1000.0 { 10 } else { 80 });
        let mut stages = Vec::new();
        while let Some(rate) = s.next(100, &stages) {
            stages.push(server(rate));
        }
        let rates: Vec<f64> = stages.iter().map(|r| r.scenario.rate.unwrap()).collect();
        assert_eq!(&rates[..4], &[200.0, 400.0, 800.0, 1600.0]);
        assert_eq!(rates.len(), 4 + 3, "{rates:?}");
        let best = s.best(&stages).unwrap().scenario.rate.unwrap();
        assert!(best > 800.0 && best <= 1000.0, "{rates:?}");
    }

    #[test]
    fn a_failing_first_stage_goes_down() {
        let s = Search::default();
        let stages = vec![stage(200.0, 80)];
        assert_eq!(s.next(100, &stages), Some(100.0));
        let mut lost = stage(100.0, 1);
        lost.lost = 1;
        assert!(s.failure(&lost).is_some());
        let mut slow = stage(100.0, 1);
        slow.deliveries_per_sec = 5_000.0;
        assert!(s.failure(&slow).is_some());
    }
}
