//! The discrete-event loop: every source of traffic (session arrivals,
//! sessions, monitors, attacks) is an actor with a next-due time in one
//! min-heap. Popping the earliest actor and letting it emit one call yields
//! lines in time order without materialising the day, and memory stays
//! proportional to the number of concurrent sessions.
//!
//! Ties are broken by insertion order, so the output depends on nothing but
//! the configuration.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::io;

use linkwell_core::Timestamp;

use crate::arrivals::{Arrivals, Health};
use crate::attacks::{self, AttackRun, Crew};
use crate::bank::{self, Tpp, User};
use crate::benign::Session;
use crate::event::{Event, NO_LABEL};
use crate::format::LineWriter;
use crate::rng::Rng;
use crate::{AttackLabel, SimConfig, SimSummary};

const DAY_MS: i64 = 86_400_000;
/// Output is handed to the writer in chunks of about this size.
const FLUSH_BYTES: usize = 1 << 16;

/// Everything fixed for the whole run; log lines borrow from it.
pub(crate) struct World {
    pub(crate) start_ms: i64,
    pub(crate) end_ms: i64,
    pub(crate) users: Vec<User>,
    /// Cumulative activity weights of `users`.
    pub(crate) activity: Vec<f64>,
    pub(crate) tpps: Vec<Tpp>,
    /// Bench mode: the number of distinct benign client addresses.
    pub(crate) bench: Option<u64>,
    pub(crate) crews: Vec<Crew>,
    /// Benign calls per day relative to the default configuration (attack
    /// sizes follow its square root).
    pub(crate) scale: f64,
}

impl World {
    fn new(cfg: &SimConfig) -> (Self, Vec<AttackLabel>) {
        let mut rng = Rng::stream(cfg.seed, 0);
        let users = bank::make_users(&mut rng, cfg.users);
        let activity = bank::activity(&mut rng, users.len());
        let tpps = bank::make_tpps(&mut rng);
        let (crews, labels) = if cfg.attacks {
            attacks::crews(cfg.seed)
        } else {
            (Vec::new(), Vec::new())
        };
        let start_ms = cfg.start.0.div_euclid(1000);
        let world = World {
            start_ms,
            end_ms: start_ms + i64::from(cfg.days.max(1)) * DAY_MS,
            users,
            activity,
            tpps,
            bench: cfg.distinct_client_ips.filter(|&n| n > 0),
            crews,
            scale: (cfg.calls as f64 / f64::from(cfg.days.max(1)) / 200_000.0).clamp(0.1, 50.0),
        };
        (world, labels)
    }
}

enum Actor {
    Arrivals(Arrivals),
    Health(Health),
    Session(Session),
    Attack(AttackRun),
}

/// A min-heap of (due time, insertion number, slot) over a slab of actors.
struct Scheduler {
    heap: BinaryHeap<Reverse<(i64, u64, u32)>>,
    slab: Vec<Option<Actor>>,
    free: Vec<u32>,
    seq: u64,
}

impl Scheduler {
    fn new() -> Self {
        Scheduler {
            heap: BinaryHeap::new(),
            slab: Vec::new(),
            free: Vec::new(),
            seq: 0,
        }
    }

    fn push(&mut self, t: i64, actor: Actor) {
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = Some(actor);
                s
            }
            None => {
                self.slab.push(Some(actor));
                (self.slab.len() - 1) as u32
            }
        };
        self.schedule(t, slot);
    }

    fn schedule(&mut self, t: i64, slot: u32) {
        self.seq += 1;
        self.heap.push(Reverse((t, self.seq, slot)));
    }

    fn pop(&mut self) -> Option<(i64, u32)> {
        self.heap.pop().map(|Reverse((t, _, slot))| (t, slot))
    }

    fn take(&mut self, slot: u32) -> Option<Actor> {
        self.slab.get_mut(slot as usize).and_then(Option::take)
    }

    fn put_back(&mut self, t: i64, slot: u32, actor: Actor) {
        self.slab[slot as usize] = Some(actor);
        self.schedule(t, slot);
    }

    fn release(&mut self, slot: u32) {
        self.free.push(slot);
    }
}

pub(crate) fn run(cfg: &SimConfig, out: &mut dyn io::Write) -> io::Result<SimSummary> {
    let (world, mut labels) = World::new(cfg);
    let mut sched = Scheduler::new();
    let mut brng = Rng::stream(cfg.seed, 1);

    let days = (world.end_ms - world.start_ms) / DAY_MS;
    let health_calls = ((cfg.calls as f64 * 0.015) as u64).max(24 * days as u64);
    let session_calls = cfg.calls.saturating_sub(health_calls);
    let arrivals = Arrivals::new(&world, session_calls);
    sched.push(world.start_ms, Actor::Arrivals(arrivals));
    let health = Health::new(&world, health_calls);
    let first = health.time_of(&world, 0, &mut brng);
    sched.push(first, Actor::Health(health));
    for run in attacks::plan(&world, cfg.seed) {
        if let Some(t) = run.first_time() {
            sched.push(t, Actor::Attack(run));
        }
    }

    let mut writer = LineWriter::new(cfg.format);
    let mut buf: Vec<u8> = Vec::with_capacity(FLUSH_BYTES + 8192);
    let mut spawn: Vec<(i64, Session)> = Vec::new();
    let mut ev = Event::new();
    let mut summary = SimSummary {
        lines: 0,
        benign: 0,
        attack: 0,
        benign_clients: 0,
        labels: Vec::new(),
    };
    let mut benign_ips: HashSet<String> = HashSet::new();

    while let Some((t, slot)) = sched.pop() {
        if t >= world.end_ms {
            break;
        }
        let Some(mut actor) = sched.take(slot) else {
            continue;
        };
        ev.reset(t);
        let (emitted, next) = match &mut actor {
            Actor::Arrivals(a) => (false, a.step(t, &world, &mut brng, &mut spawn)),
            Actor::Health(h) => (true, h.step(&world, &mut brng, &mut ev)),
            Actor::Session(s) => (true, s.step(t, &world, &mut brng, &mut ev)),
            Actor::Attack(a) => (true, a.step(&world, &mut ev)),
        };
        if emitted {
            writer.write(&ev, &mut buf);
            summary.lines += 1;
            if ev.labels[0] == NO_LABEL {
                summary.benign += 1;
                if !benign_ips.contains(ev.ip.as_str()) {
                    benign_ips.insert(ev.ip.clone());
                }
            } else {
                summary.attack += 1;
            }
            for &l in ev.labels.iter().filter(|&&l| l != NO_LABEL) {
                if let Some(label) = labels.get_mut(usize::from(l)) {
                    if label.calls == 0 {
                        label.start = Timestamp::from_millis(t);
                    }
                    label.end = Timestamp::from_millis(t);
                    label.calls += 1;
                }
            }
            if buf.len() >= FLUSH_BYTES {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        for (at, s) in spawn.drain(..) {
            sched.push(at.max(t), Actor::Session(s));
        }
        match next {
            Some(n) => sched.put_back(n.max(t), slot, actor),
            None => sched.release(slot),
        }
    }
    out.write_all(&buf)?;
    out.flush()?;
    labels.retain(|l| l.calls > 0);
    summary.labels = labels;
    summary.benign_clients = benign_ips.len() as u64;
    Ok(summary)
}
