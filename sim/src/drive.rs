//! Drivers in virtual time: one machine at a time, and a sweep's plan with its jobs running
//! at once, as the client's async runner runs them (an event queue ordered by virtual time,
//! ties by the order the events were made).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Duration;

use http::Response;
use twilio_connect_apps::error::TransportError;
use twilio_connect_apps::machine::{AccountJob, SweepPlan};
use twilio_connect_apps::model::AccountApps;
use twilio_connect_apps::{Action, Error, Machine, Session};

use crate::world::World;

/// More steps than any machine of the simulation needs: a machine that takes more is stuck.
pub const MAX_STEPS: usize = 2_000_000;

/// A machine that never came to `Done`.
#[derive(Debug, Clone)]
pub struct Stuck(pub String);

/// Drives `machine` (task `task` of session `session_id`) to its next `Done`, sending each
/// request to the world's Twilio and waiting in virtual time.
pub fn drive<M: Machine>(
    world: &mut World,
    session: &Session,
    session_id: usize,
    task: usize,
    machine: &mut M,
) -> Result<M::Output, Stuck> {
    for _ in 0..MAX_STEPS {
        match machine.next(&session.context(world.clock())) {
            Action::Send(request) => {
                let (index, at, response) = world.send(task, session_id, request);
                world.now = at;
                world.handled(index);
                machine.handle(&session.context(world.clock()), response);
            }
            Action::Wait(wait) => world.now = world.now.saturating_add(wait),
            Action::Done(output) => return Ok(output),
        }
    }
    Err(Stuck(format!("task {task} took {MAX_STEPS} steps")))
}

/// What a sweep came to.
#[derive(Debug, Default)]
pub struct SweepRun {
    /// Every account's result, in the order they finished.
    pub results: Vec<AccountApps>,
    /// The error that ended the accounts listing, if one did.
    pub plan_error: Option<Error>,
    /// The most API requests the sweep had in flight at once.
    pub max_in_flight: usize,
    /// What the plan allowed at most.
    pub max_concurrency: usize,
    /// A machine that never finished, or a plan that stalled.
    pub stuck: Option<Stuck>,
    /// The first task number the sweep did not use.
    pub next_task: usize,
}

/// A task of the sweep: the plan or a job (numbered from the plan's number up).
type Task = usize;

/// An answer on its way to a task: its log index, whether it is the API's, and what it is.
type Pending = (usize, bool, Result<Response<Vec<u8>>, TransportError>);

/// The sweep's machines and what each waits for.
struct Sweep<'a> {
    world: &'a mut World,
    session: &'a Session,
    session_id: usize,
    plan: SweepPlan,
    plan_task: Task,
    plan_state: PlanState,
    jobs: HashMap<Task, AccountJob>,
    next_task: Task,
    /// (when, order made, task): the queue of wake-ups.
    queue: BinaryHeap<Reverse<(Duration, u64, Task)>>,
    made: u64,
    /// The answer each waiting task gets when it wakes, with its log index and whether it
    /// is the API's.
    answers: HashMap<Task, Pending>,
    in_flight: usize,
    run: SweepRun,
}

#[derive(Debug, PartialEq, Eq)]
enum PlanState {
    /// It can be driven when it has room.
    Idle,
    /// It waits for an answer or a wait.
    Waiting,
    /// Every account was handed out, or the accounts listing failed.
    Finished,
}

/// Runs `plan` to its end: as many jobs at once as the plan has room for. The plan is task
/// `first_task`, its jobs the numbers after it.
pub fn sweep(
    world: &mut World,
    session: &Session,
    session_id: usize,
    plan: SweepPlan,
    first_task: Task,
) -> SweepRun {
    let max_concurrency = plan.max_concurrency();
    let mut s = Sweep {
        world,
        session,
        session_id,
        plan,
        plan_task: first_task,
        plan_state: PlanState::Idle,
        jobs: HashMap::new(),
        next_task: first_task + 1,
        queue: BinaryHeap::new(),
        made: 0,
        answers: HashMap::new(),
        in_flight: 0,
        run: SweepRun {
            max_concurrency,
            ..SweepRun::default()
        },
    };
    s.go();
    s.run.next_task = s.next_task;
    s.run
}

impl Sweep<'_> {
    fn go(&mut self) {
        self.kick_plan();
        for _ in 0..MAX_STEPS {
            let Some(Reverse((at, _, task))) = self.queue.pop() else {
                if self.plan_state == PlanState::Idle || !self.jobs.is_empty() {
                    self.run.stuck = Some(Stuck(format!(
                        "the sweep stalled: plan {:?}, {} jobs, nothing to wait for",
                        self.plan_state,
                        self.jobs.len()
                    )));
                }
                return;
            };
            self.world.now = self.world.now.max(at);
            if let Some((index, api, response)) = self.answers.remove(&task) {
                if api {
                    self.in_flight = self.in_flight.saturating_sub(1);
                }
                self.world.handled(index);
                let cx = self.session.context(self.world.clock());
                if task == self.plan_task {
                    self.plan.handle(&cx, response);
                } else if let Some(job) = self.jobs.get_mut(&task) {
                    job.handle(&cx, response);
                }
            }
            if task == self.plan_task {
                self.plan_state = PlanState::Idle;
            } else {
                self.step_job(task);
            }
            self.kick_plan();
        }
        self.run.stuck = Some(Stuck(format!("the sweep took {MAX_STEPS} events")));
    }

    fn later(&mut self, at: Duration, task: Task) {
        self.made += 1;
        self.queue.push(Reverse((at, self.made, task)));
    }

    fn send(&mut self, task: Task, request: http::Request<Vec<u8>>) {
        // Token requests go to the token service: not the API's limit, not the sweep's.
        let api = request.uri().host() == Some(crate::api::API_HOST);
        let (index, at, response) = self.world.send(task, self.session_id, request);
        if api {
            self.in_flight += 1;
            self.run.max_in_flight = self.run.max_in_flight.max(self.in_flight);
        }
        self.answers.insert(task, (index, api, response));
        self.later(at, task);
    }

    /// Drives the plan while it has room: each account it hands out becomes a job.
    fn kick_plan(&mut self) {
        while self.plan_state == PlanState::Idle {
            let cx = self.session.context(self.world.clock());
            if !self.plan.has_room(&cx) {
                return;
            }
            match self.plan.next(&cx) {
                Action::Send(request) => {
                    self.plan_state = PlanState::Waiting;
                    self.send(self.plan_task, request);
                }
                Action::Wait(wait) => {
                    self.plan_state = PlanState::Waiting;
                    self.later(self.world.now.saturating_add(wait), self.plan_task);
                }
                Action::Done(Some(Ok(job))) => {
                    let task = self.next_task;
                    self.next_task += 1;
                    self.jobs.insert(task, job);
                    self.step_job(task);
                }
                Action::Done(Some(Err(e))) => {
                    self.run.plan_error = Some(e);
                    self.plan_state = PlanState::Finished;
                }
                Action::Done(None) => self.plan_state = PlanState::Finished,
            }
        }
    }

    /// Drives a job until it sends, waits or is done.
    fn step_job(&mut self, task: Task) {
        let Some(job) = self.jobs.get_mut(&task) else {
            return;
        };
        let cx = self.session.context(self.world.clock());
        match job.next(&cx) {
            Action::Send(request) => self.send(task, request),
            Action::Wait(wait) => self.later(self.world.now.saturating_add(wait), task),
            Action::Done(result) => {
                self.jobs.remove(&task);
                self.plan.finished(&cx, &result);
                self.run.results.push(result);
            }
        }
    }
}
