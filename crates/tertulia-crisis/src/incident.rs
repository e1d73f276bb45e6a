//! Incidents and escalation: an alert opens an incident (or updates the open
//! one with the same key), the policy's levels are told in turn until
//! someone acknowledges, and a playbook proposes what to say.
//!
//! Nothing here reads a clock: every call takes `now`, so the same calls
//! give the same incidents, and [`Desk::tick`] is called by whoever owns the
//! time (a timer, a test, the simulated demo). The whole [`Desk`] serializes:
//! a crash loses no incident and no pending escalation.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::detect::Severity;
use crate::error::{Error, Result};

/// Something a detector saw: opens or updates the incident with its key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// What it is about, stable across repeats ("acme:volume"): alerts with
    /// the same key while an incident is open update it.
    pub key: String,
    /// When.
    pub at: DateTime<Utc>,
    /// How bad.
    pub severity: Severity,
    /// One line for people.
    pub summary: String,
    /// The figures behind it.
    #[serde(default)]
    pub details: BTreeMap<String, String>,
    /// The condition is over (the detector closed its alert).
    #[serde(default)]
    pub clear: bool,
}

/// One level of an escalation policy: who is told, and how long they have
/// to acknowledge before the next level is told too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Who is told: people, teams or channels, by name.
    pub targets: Vec<String>,
    /// Minutes this level has to acknowledge the incident. When they pass
    /// with no acknowledgement, the next level is told (after the last
    /// level, the first again while `loops` allow). Only high-urgency
    /// incidents escalate; a low-urgency one tells the first level once.
    pub delay_minutes: i64,
}

/// What to do at a severity: who else is told, what holding statement is
/// proposed (a person approves anything published).
///
/// A holding statement is written for the public, ahead of time, in the
/// words the brand would use: it takes no placeholder, so nothing of the
/// internal alert ("9 negative mentions in 15 min") can reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    /// The lowest severity it applies to.
    pub severity: Severity,
    /// Who is told besides the escalation level.
    #[serde(default)]
    pub tell: Vec<String>,
    /// The holding statement to propose, as the public will read it.
    #[serde(default)]
    pub statement: Option<String>,
}

/// How an incident is escalated, as PagerDuty's escalation policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Its name.
    pub name: String,
    /// Levels, told in order until someone acknowledges.
    pub levels: Vec<Level>,
    /// How many times the levels are gone through before giving up.
    #[serde(default = "one")]
    pub loops: u32,
    /// The severity from which an incident is high urgency (escalates); below
    /// it, only the first level is told, without escalation.
    #[serde(default = "error")]
    pub high_urgency_from: Severity,
    /// Playbooks; the one with the highest severity not above the
    /// incident's applies.
    #[serde(default)]
    pub playbooks: Vec<Playbook>,
}

fn one() -> u32 {
    1
}

fn error() -> Severity {
    Severity::Error
}

impl Policy {
    /// Checks the policy: at least one level, each with targets and a delay
    /// of at least a minute, at least one loop.
    pub fn check(&self) -> Result<()> {
        let problem = if self.levels.is_empty() {
            Some("has no levels: add at least one, with targets and a delay".to_owned())
        } else if let Some(i) = self.levels.iter().position(|l| l.targets.is_empty()) {
            Some(format!("level {} has no targets", i + 1))
        } else if let Some(i) = self.levels.iter().position(|l| l.delay_minutes < 1) {
            Some(format!("level {} has a delay under one minute", i + 1))
        } else if self.loops == 0 {
            Some("loops is 0: go through the levels at least once".to_owned())
        } else if let Some((i, text)) = self.playbooks.iter().enumerate().find_map(|(i, p)| {
            let text = p.statement.as_deref()?;
            let open = text.find('{')?;
            let close = text[open..].find('}').map_or(text.len(), |c| open + c + 1);
            Some((i, &text[open..close]))
        }) {
            Some(format!(
                "playbook {}'s statement holds {text}: a holding statement is read by the public, so it takes no placeholder (the alert's summary is for the team); write the words themselves",
                i + 1
            ))
        } else {
            None
        };
        match problem {
            Some(p) => Err(Error::Config(format!("policy {:?} {p}", self.name))),
            None => Ok(()),
        }
    }

    fn playbook(&self, severity: Severity) -> Option<&Playbook> {
        self.playbooks
            .iter()
            .filter(|p| p.severity <= severity)
            .max_by_key(|p| p.severity)
    }
}

/// Where an incident is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Open, nobody has taken it yet.
    Triggered,
    /// Someone is on it: escalation stops.
    Acknowledged,
    /// Over.
    Resolved,
}

/// Whether an incident escalates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Escalates through the levels.
    High,
    /// Tells the first level only.
    Low,
}

/// What happened to an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// It opened.
    Triggered {
        /// At this severity.
        severity: Severity,
    },
    /// Another alert with its key came.
    Repeated {
        /// The alert's severity.
        severity: Severity,
    },
    /// Its severity rose.
    Raised {
        /// From.
        from: Severity,
        /// To.
        to: Severity,
    },
    /// A level (and playbook targets) was told.
    Notified {
        /// The level, counting from 1.
        level: usize,
        /// The loop through the levels, counting from 1.
        round: u32,
        /// Who.
        targets: Vec<String>,
    },
    /// The last level of the last loop passed without acknowledgement.
    Exhausted,
    /// A holding statement was proposed.
    StatementProposed {
        /// Its text.
        text: String,
    },
    /// A person approved the statement for publishing.
    StatementApproved {
        /// Who.
        by: String,
    },
    /// Someone acknowledged it.
    Acknowledged {
        /// Who.
        by: String,
    },
    /// The detector's alert closed.
    Cleared,
    /// Someone resolved it.
    Resolved {
        /// Who.
        by: String,
    },
    /// A note.
    Note {
        /// Who.
        by: String,
        /// What.
        text: String,
    },
}

/// An entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    #[serde(flatten)]
    pub event: Event,
}

/// An incident: one crisis, however many alerts it raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Its number, from 1.
    pub id: u64,
    /// The alerts' key.
    pub key: String,
    /// Where it is in its life.
    pub status: Status,
    /// The highest severity of its alerts.
    pub severity: Severity,
    /// Whether it escalates.
    pub urgency: Urgency,
    /// The first alert's summary: what opened it.
    pub summary: String,
    /// The latest figures' summary: what notifications say now.
    #[serde(default)]
    pub latest: String,
    /// The latest alert's details.
    pub details: BTreeMap<String, String>,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// Alerts it received.
    pub alerts: u64,
    /// The level told last (0 = the first) and the loop (0 = the first).
    pub level: usize,
    /// See `level`.
    pub round: u32,
    /// When the next level is due, if escalation is running.
    pub next_escalation: Option<DateTime<Utc>>,
    /// The holding statement proposed, if any, waiting for approval.
    pub statement: Option<String>,
    /// What happened, in order.
    pub timeline: Vec<Entry>,
}

/// What the desk asks the outside world to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Tell people: hand it to the notifiers.
    Notify(Notification),
    /// Show a person a holding statement to approve (never published here).
    ProposeStatement {
        /// The incident.
        incident: u64,
        /// The text.
        text: String,
    },
}

/// What a notification is about, as PagerDuty's `event_action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Opened, repeated, raised or escalated.
    Trigger,
    /// Acknowledged.
    Acknowledge,
    /// Resolved.
    Resolve,
}

/// One message for the notifiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// The incident's number.
    pub incident: u64,
    /// Its dedup key: receivers group messages by it.
    pub dedup_key: String,
    /// What changed.
    pub change: Change,
    /// Its severity.
    pub severity: Severity,
    /// One line for people.
    pub summary: String,
    /// Who should hear it.
    pub targets: Vec<String>,
    /// The figures behind it.
    pub details: BTreeMap<String, String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// The incident desk: open incidents by key, their escalation, their
/// history.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use tertulia_crisis::detect::Severity;
/// use tertulia_crisis::incident::{Action, Alert, Desk, Level, Policy, Status};
///
/// let policy = Policy {
///     name: "brand".into(),
///     levels: vec![
///         Level { targets: vec!["community-manager".into()], delay_minutes: 15 },
///         Level { targets: vec!["head-of-comms".into()], delay_minutes: 30 },
///     ],
///     loops: 1,
///     high_urgency_from: Severity::Warning,
///     playbooks: vec![],
/// };
/// let mut desk = Desk::new(policy)?;
/// let t0 = Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap();
/// let alert = Alert { key: "acme:volume".into(), at: t0, severity: Severity::Error,
///     summary: "Mentions 6x the usual".into(), details: Default::default(), clear: false };
/// let actions = desk.alert(&alert)?;
/// assert!(matches!(&actions[0], Action::Notify(n) if n.targets == ["community-manager"]));
/// // Nobody answers for 15 minutes: the next level is told.
/// let actions = desk.tick(t0 + TimeDelta::minutes(15));
/// assert!(matches!(&actions[0], Action::Notify(n) if n.targets == ["head-of-comms"]));
/// desk.acknowledge(1, "marta", t0 + TimeDelta::minutes(20))?;
/// assert_eq!(desk.incident(1).unwrap().status, Status::Acknowledged);
/// assert!(desk.tick(t0 + TimeDelta::hours(5)).is_empty(), "acknowledged: no more escalation");
/// # Ok::<(), tertulia_crisis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Desk {
    policy: Policy,
    incidents: BTreeMap<u64, Incident>,
    /// Open (not resolved) incidents by key.
    open: BTreeMap<String, u64>,
}

impl Desk {
    /// A desk with no incidents. Fails if the policy cannot work.
    pub fn new(policy: Policy) -> Result<Self> {
        policy.check()?;
        Ok(Desk {
            policy,
            incidents: BTreeMap::new(),
            open: BTreeMap::new(),
        })
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// An incident by number.
    pub fn incident(&self, id: u64) -> Option<&Incident> {
        self.incidents.get(&id)
    }

    /// Every incident, oldest first.
    pub fn incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.values()
    }

    /// The open incident with this key.
    pub fn open_with_key(&self, key: &str) -> Option<&Incident> {
        self.open.get(key).and_then(|id| self.incidents.get(id))
    }

    /// When [`Desk::tick`] next has something to do.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.incidents
            .values()
            .filter_map(|i| i.next_escalation)
            .min()
    }

    /// Takes an alert: opens an incident, or updates the open one with its key.
    pub fn alert(&mut self, alert: &Alert) -> Result<Vec<Action>> {
        if alert.key.trim().is_empty() {
            return Err(Error::Config(
                "an alert's key is empty: give each condition a stable key".to_owned(),
            ));
        }
        let mut actions = Vec::new();
        let Some(&id) = self.open.get(&alert.key) else {
            if alert.clear {
                return Ok(actions);
            }
            let id = self.incidents.keys().next_back().map_or(1, |last| last + 1);
            let urgency = self.urgency(alert.severity);
            let mut incident = Incident {
                id,
                key: alert.key.clone(),
                status: Status::Triggered,
                severity: alert.severity,
                urgency,
                summary: alert.summary.clone(),
                latest: alert.summary.clone(),
                details: alert.details.clone(),
                opened_at: alert.at,
                alerts: 1,
                level: 0,
                round: 0,
                next_escalation: None,
                statement: None,
                timeline: vec![Entry {
                    at: alert.at,
                    event: Event::Triggered {
                        severity: alert.severity,
                    },
                }],
            };
            self.notify_level(&mut incident, alert.at, &mut actions);
            self.apply_playbook(&mut incident, alert.at, &mut actions);
            self.open.insert(alert.key.clone(), id);
            self.incidents.insert(id, incident);
            return Ok(actions);
        };
        let policy_urgency = self.urgency(alert.severity);
        let incident = self.incidents.get_mut(&id).expect("open incidents exist");
        incident.alerts += 1;
        incident.details = alert.details.clone();
        if alert.clear {
            incident.timeline.push(Entry {
                at: alert.at,
                event: Event::Cleared,
            });
            return Ok(actions);
        }
        incident.latest = alert.summary.clone();
        incident.timeline.push(Entry {
            at: alert.at,
            event: Event::Repeated {
                severity: alert.severity,
            },
        });
        if alert.severity > incident.severity {
            let from = incident.severity;
            incident.severity = alert.severity;
            incident.timeline.push(Entry {
                at: alert.at,
                event: Event::Raised {
                    from,
                    to: alert.severity,
                },
            });
            let mut incident = incident.clone();
            if policy_urgency == Urgency::High && incident.urgency == Urgency::Low {
                incident.urgency = Urgency::High;
                if incident.status == Status::Triggered {
                    incident.next_escalation = Some(alert.at + self.delay(incident.level));
                }
            }
            actions.push(Action::Notify(self.notification(
                &incident,
                Change::Trigger,
                alert.at,
                self.level_targets(&incident),
            )));
            self.apply_playbook(&mut incident, alert.at, &mut actions);
            self.incidents.insert(id, incident);
        }
        Ok(actions)
    }

    /// The current figures of the condition behind an open incident (a
    /// bucket judged while its alert stays open): later notifications,
    /// escalations included, carry them. Nothing is told, and the timeline
    /// is unchanged. Returns whether an incident with the key is open.
    pub fn refresh(&mut self, update: &Alert) -> bool {
        let Some(incident) = self
            .open
            .get(&update.key)
            .and_then(|id| self.incidents.get_mut(id))
        else {
            return false;
        };
        incident.latest = update.summary.clone();
        incident.details = update.details.clone();
        true
    }

    /// Someone takes the incident: escalation stops.
    pub fn acknowledge(&mut self, id: u64, by: &str, now: DateTime<Utc>) -> Result<Vec<Action>> {
        if self.get_open(id)?.status == Status::Acknowledged {
            return Ok(Vec::new());
        }
        let event = Event::Acknowledged { by: by.to_owned() };
        self.settle(id, Status::Acknowledged, event, Change::Acknowledge, now)
    }

    /// The incident is over; a later alert with its key opens a new one.
    pub fn resolve(&mut self, id: u64, by: &str, now: DateTime<Utc>) -> Result<Vec<Action>> {
        let event = Event::Resolved { by: by.to_owned() };
        let actions = self.settle(id, Status::Resolved, event, Change::Resolve, now)?;
        self.open.remove(&self.incidents[&id].key);
        Ok(actions)
    }

    /// Moves an open incident to `status`, stops its escalation, and tells
    /// its current level.
    fn settle(
        &mut self,
        id: u64,
        status: Status,
        event: Event,
        change: Change,
        now: DateTime<Utc>,
    ) -> Result<Vec<Action>> {
        let incident = self.get_open(id)?;
        incident.status = status;
        incident.next_escalation = None;
        incident.timeline.push(Entry { at: now, event });
        let incident = incident.clone();
        let targets = self.level_targets(&incident);
        Ok(vec![Action::Notify(
            self.notification(&incident, change, now, targets),
        )])
    }

    /// Adds a note to the timeline.
    pub fn note(&mut self, id: u64, by: &str, text: &str, now: DateTime<Utc>) -> Result<()> {
        let incident = self
            .incidents
            .get_mut(&id)
            .ok_or_else(|| Error::Config(format!("there is no incident {id}")))?;
        incident.timeline.push(Entry {
            at: now,
            event: Event::Note {
                by: by.to_owned(),
                text: text.to_owned(),
            },
        });
        Ok(())
    }

    /// A person approves the proposed statement; returns its text, for them
    /// to publish.
    pub fn approve_statement(&mut self, id: u64, by: &str, now: DateTime<Utc>) -> Result<String> {
        let incident = self.get_open(id)?;
        let text = incident.statement.take().ok_or_else(|| {
            Error::Config(format!(
                "incident {id} has no statement waiting for approval"
            ))
        })?;
        incident.timeline.push(Entry {
            at: now,
            event: Event::StatementApproved { by: by.to_owned() },
        });
        Ok(text)
    }

    /// Escalates every incident whose level passed without acknowledgement.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Action> {
        let mut actions = Vec::new();
        let due: Vec<u64> = self
            .incidents
            .values()
            .filter(|i| i.next_escalation.is_some_and(|t| t <= now))
            .map(|i| i.id)
            .collect();
        for id in due {
            let mut incident = self.incidents[&id].clone();
            // Catch up on every level that fell due, each at its own time.
            while let Some(at) = incident.next_escalation.filter(|&t| t <= now) {
                let last = self.policy.levels.len() - 1;
                if incident.level < last {
                    incident.level += 1;
                } else if incident.round + 1 < self.policy.loops {
                    incident.level = 0;
                    incident.round += 1;
                } else {
                    incident.next_escalation = None;
                    incident.timeline.push(Entry {
                        at,
                        event: Event::Exhausted,
                    });
                    break;
                }
                self.notify_level(&mut incident, at, &mut actions);
            }
            self.incidents.insert(id, incident);
        }
        actions
    }

    fn get_open(&mut self, id: u64) -> Result<&mut Incident> {
        match self.incidents.get_mut(&id) {
            Some(i) if i.status != Status::Resolved => Ok(i),
            Some(_) => Err(Error::Config(format!("incident {id} is resolved"))),
            None => Err(Error::Config(format!("there is no incident {id}"))),
        }
    }

    fn urgency(&self, severity: Severity) -> Urgency {
        if severity >= self.policy.high_urgency_from {
            Urgency::High
        } else {
            Urgency::Low
        }
    }

    fn delay(&self, level: usize) -> TimeDelta {
        TimeDelta::minutes(self.policy.levels[level].delay_minutes)
    }

    fn level_targets(&self, incident: &Incident) -> Vec<String> {
        self.policy.levels[incident.level].targets.clone()
    }

    /// Tells the incident's current level and schedules the next.
    fn notify_level(&self, incident: &mut Incident, at: DateTime<Utc>, actions: &mut Vec<Action>) {
        let targets = self.level_targets(incident);
        incident.timeline.push(Entry {
            at,
            event: Event::Notified {
                level: incident.level + 1,
                round: incident.round + 1,
                targets: targets.clone(),
            },
        });
        incident.next_escalation =
            (incident.urgency == Urgency::High).then(|| at + self.delay(incident.level));
        actions.push(Action::Notify(self.notification(
            incident,
            Change::Trigger,
            at,
            targets,
        )));
    }

    fn apply_playbook(
        &self,
        incident: &mut Incident,
        at: DateTime<Utc>,
        actions: &mut Vec<Action>,
    ) {
        let Some(playbook) = self.policy.playbook(incident.severity) else {
            return;
        };
        if !playbook.tell.is_empty() {
            actions.push(Action::Notify(self.notification(
                incident,
                Change::Trigger,
                at,
                playbook.tell.clone(),
            )));
        }
        if let Some(text) = &playbook.statement {
            let text = text.clone();
            incident.statement = Some(text.clone());
            incident.timeline.push(Entry {
                at,
                event: Event::StatementProposed { text: text.clone() },
            });
            actions.push(Action::ProposeStatement {
                incident: incident.id,
                text,
            });
        }
    }

    fn notification(
        &self,
        incident: &Incident,
        change: Change,
        at: DateTime<Utc>,
        targets: Vec<String>,
    ) -> Notification {
        Notification {
            incident: incident.id,
            dedup_key: incident.key.clone(),
            change,
            severity: incident.severity,
            summary: if incident.latest.is_empty() {
                incident.summary.clone()
            } else {
                incident.latest.clone()
            },
            targets,
            details: incident.details.clone(),
            at,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap() + TimeDelta::minutes(minute)
    }

    fn policy() -> Policy {
        Policy {
            name: "brand".into(),
            levels: vec![
                Level {
                    targets: vec!["cm".into()],
                    delay_minutes: 10,
                },
                Level {
                    targets: vec!["lead".into()],
                    delay_minutes: 20,
                },
            ],
            loops: 2,
            high_urgency_from: Severity::Error,
            playbooks: vec![
                Playbook {
                    severity: Severity::Warning,
                    tell: vec![],
                    statement: None,
                },
                Playbook {
                    severity: Severity::Critical,
                    tell: vec!["legal".into()],
                    statement: Some("We know and are on it.".into()),
                },
            ],
        }
    }

    fn alert(minute: i64, severity: Severity) -> Alert {
        Alert {
            key: "acme:volume".into(),
            at: t(minute),
            severity,
            summary: "a spike".into(),
            details: BTreeMap::new(),
            clear: false,
        }
    }

    fn targets(actions: &[Action]) -> Vec<Vec<String>> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Notify(n) => Some(n.targets.clone()),
                Action::ProposeStatement { .. } => None,
            })
            .collect()
    }

    #[test]
    fn levels_loop_then_give_up() {
        let mut desk = Desk::new(policy()).unwrap();
        assert_eq!(
            targets(&desk.alert(&alert(0, Severity::Error)).unwrap()),
            [["cm"]]
        );
        assert!(desk.tick(t(9)).is_empty());
        assert_eq!(desk.next_due(), Some(t(10)));
        // Far later: catches up level by level, each at its due time.
        let actions = desk.tick(t(500));
        assert_eq!(targets(&actions), [vec!["lead"], vec!["cm"], vec!["lead"]]);
        let at: Vec<_> = actions
            .iter()
            .map(|a| match a {
                Action::Notify(n) => n.at,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(at, [t(10), t(30), t(40)]);
        let incident = desk.incident(1).unwrap();
        assert_eq!(
            incident.timeline.last().unwrap(),
            &Entry {
                at: t(60),
                event: Event::Exhausted
            }
        );
        assert_eq!(desk.next_due(), None);
    }

    #[test]
    fn repeats_update_and_raise_and_resolution_frees_the_key() {
        let mut desk = Desk::new(policy()).unwrap();
        // Low urgency: first level only, no escalation.
        desk.alert(&alert(0, Severity::Warning)).unwrap();
        assert_eq!(desk.next_due(), None);
        assert!(desk.alert(&alert(5, Severity::Warning)).unwrap().is_empty());
        let actions = desk.alert(&alert(6, Severity::Critical)).unwrap();
        assert_eq!(targets(&actions), [vec!["cm"], vec!["legal"]]);
        assert!(
            matches!(&actions[2], Action::ProposeStatement { text, .. } if text == "We know and are on it.")
        );
        assert_eq!(
            desk.next_due(),
            Some(t(16)),
            "now high urgency: escalation runs"
        );
        assert_eq!(desk.incidents().count(), 1);
        assert_eq!(desk.incident(1).unwrap().alerts, 3);
        assert_eq!(
            desk.approve_statement(1, "marta", t(8)).unwrap(),
            "We know and are on it."
        );
        assert!(desk.approve_statement(1, "marta", t(8)).is_err());
        desk.note(1, "marta", "calling the supplier", t(9)).unwrap();
        let r = desk.resolve(1, "marta", t(30)).unwrap();
        assert!(
            matches!(&r[0], Action::Notify(n) if n.change == Change::Resolve && n.dedup_key == "acme:volume")
        );
        assert!(desk.acknowledge(1, "x", t(31)).is_err());
        desk.alert(&alert(40, Severity::Error)).unwrap();
        assert_eq!(
            desk.incidents().count(),
            2,
            "a new incident after resolution"
        );
    }

    #[test]
    fn state_survives_a_restart() {
        let mut desk = Desk::new(policy()).unwrap();
        desk.alert(&alert(0, Severity::Error)).unwrap();
        let mut back: Desk = serde_json::from_str(&serde_json::to_string(&desk).unwrap()).unwrap();
        assert_eq!(back, desk);
        assert_eq!(targets(&back.tick(t(10))), [["lead"]]);
    }

    #[test]
    fn bad_policies_are_refused() {
        let mut p = policy();
        p.levels[1].delay_minutes = 0;
        assert!(Desk::new(p).unwrap_err().to_string().contains("level 2"));
        let mut p = policy();
        p.loops = 0;
        assert!(Desk::new(p).is_err());
        let mut p = policy();
        p.levels.clear();
        assert!(Desk::new(p).is_err());
    }

    #[test]
    fn escalations_carry_the_current_figures() {
        let mut desk = Desk::new(policy()).unwrap();
        let mut first = alert(0, Severity::Error);
        first.summary = "brand: 9 negative mentions in 15 min".into();
        desk.alert(&first).unwrap();
        let mut now = alert(5, Severity::Error);
        now.summary = "brand: 41 negative mentions in 15 min".into();
        assert!(desk.refresh(&now));
        let actions = desk.tick(t(10));
        let Action::Notify(n) = &actions[0] else {
            panic!("{actions:?}")
        };
        assert_eq!(n.targets, ["lead"]);
        assert_eq!(n.summary, "brand: 41 negative mentions in 15 min");
        let incident = desk.incident(1).unwrap();
        assert_eq!(
            incident.summary, "brand: 9 negative mentions in 15 min",
            "what opened it stays"
        );
        assert_eq!(
            incident.timeline.len(),
            3,
            "a refresh is not an event: {:?}",
            incident.timeline
        );
        let mut other = now.clone();
        other.key = "acme:other".into();
        assert!(!desk.refresh(&other), "no open incident with that key");
    }

    #[test]
    fn a_holding_statement_takes_no_placeholder_and_policies_no_unknown_key() {
        let mut p = policy();
        p.playbooks[1].statement = Some("We are aware of {summary}.".into());
        let err = Desk::new(p).unwrap_err().to_string();
        assert!(err.contains("{summary}") && err.contains("public"), "{err}");
        let err = serde_json::from_value::<Policy>(serde_json::json!({
            "name": "x", "levels": [{"targets": ["a"], "delay_minutes": 5}], "loopz": 2
        }))
        .unwrap_err()
        .to_string();
        assert!(err.contains("loopz"), "{err}");
    }
}
