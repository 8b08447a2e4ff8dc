//! The job graph (operators and edges, a petgraph DAG) and its expansion into
//! the execution graph: subtasks, their input channels and output channels.

use super::keyed::KeyedKind;
use super::named::Named;
use super::protocol::ProtocolKind;
use crate::scenario::ids::TaskId;
use crate::scenario::{Function, Operator, OperatorKind, Partitioning, Scenario};
use petgraph::algo::toposort;
use petgraph::graph::DiGraph;
use std::collections::BTreeMap;

/// An operator as the engine runs it.
#[derive(Debug, Clone)]
pub struct OpSpec {
    /// Position in topological order; `TaskId::op`.
    pub index: u16,
    pub id: String,
    pub kind: OperatorKind,
    pub parallelism: usize,
    /// Source: log partitions, total records, distinct keys, fetch size.
    pub partitions: usize,
    pub records: u64,
    pub keys: u64,
    pub fetch_size: usize,
    /// Map and filter: the function.
    pub func: Function,
    /// Upstream operators (`TaskId::op`), in the order the file lists them.
    pub inputs: Vec<u16>,
    /// Keyed operators: the kind, as the registry resolved it.
    pub keyed: Option<Named<dyn KeyedKind>>,
    /// Sinks (and a sink's committer): the kind of sink, by name.
    pub sink: Option<String>,
    /// Whether its subtasks commit output and report it: a sink's writers,
    /// unless the sink commits in a committer of its own, or that committer.
    pub commits: bool,
    /// The operator whose task it runs in (`TaskId::op`), when it is chained
    /// to the one it reads: then no channel joins them (`chainable`).
    pub chained_to: Option<u16>,
    /// A channel reaches it over a pointwise (unchained forward) or
    /// broadcast edge, so even unaligned checkpoints align at its inputs
    /// (`forced_aligned`).
    pub forced_aligned: bool,
    /// Processing time per record (`cost`).
    pub cost: std::time::Duration,
}

/// An edge of the job graph, as the job runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobEdge {
    pub from: u16,
    pub to: u16,
    /// A forward edge between unequal parallelisms runs as rebalance.
    pub partitioning: Partitioning,
    /// `to` runs chained to `from`: no channel joins them.
    pub chained: bool,
}

impl JobEdge {
    /// Copies of each record that cross it.
    pub fn copies(&self, ops: &[OpSpec]) -> u32 {
        match self.partitioning {
            Partitioning::Broadcast => ops[self.to as usize].parallelism as u32,
            _ => 1,
        }
    }
}

/// One output edge of a subtask: how records are routed and to whom.
#[derive(Debug, Clone)]
pub struct OutputEdge {
    pub partitioning: Partitioning,
    /// Downstream subtasks in subtask order, with our input index at each.
    pub targets: Vec<(TaskId, u16)>,
}

/// A subtask with its channels.
#[derive(Debug, Clone)]
pub struct TaskSpec {
    pub id: TaskId,
    /// `op[i]`, as traces and scenarios name it.
    pub name: String,
    /// Upstream subtask of each input channel, by input index.
    pub inputs: Vec<TaskId>,
    pub outputs: Vec<OutputEdge>,
}

/// The expanded job: every operator and subtask.
#[derive(Debug, Clone)]
pub struct ExecutionGraph {
    pub ops: Vec<OpSpec>,
    /// The job graph's edges (the channels between subtasks, and chains).
    pub edges: Vec<JobEdge>,
    pub tasks: BTreeMap<TaskId, TaskSpec>,
    pub max_parallelism: usize,
    /// Flow control (`[network]`): records per buffer, each channel's own
    /// buffers, the buffers each task's inputs share.
    pub buffer_records: usize,
    pub buffers_per_channel: u32,
    pub floating_buffers: u32,
    /// The checkpoint protocol every task runs.
    pub protocol: Named<dyn ProtocolKind>,
    pub aligned_timeout: std::time::Duration,
}

impl ExecutionGraph {
    /// Builds the execution graph of a validated scenario running
    /// `protocol`, with some operators rescaled (by id); `has_committer`
    /// says which kinds of sink commit in a committer task of their own
    /// and `keyed` resolves keyed operators' kinds (`engine::job` asks the registry).
    pub fn build_with(
        scenario: &Scenario,
        protocol: Named<dyn ProtocolKind>,
        rescaled: &BTreeMap<String, usize>,
        has_committer: &dyn Fn(&str) -> bool,
        keyed: &dyn Fn(&str) -> Option<Named<dyn KeyedKind>>,
    ) -> ExecutionGraph {
        let job = &scenario.job;
        let mut dag = DiGraph::<usize, Partitioning>::new();
        let nodes: Vec<_> = (0..job.operators.len()).map(|i| dag.add_node(i)).collect();
        let pos = |id: &str| job.operators.iter().position(|o| o.id == id).expect("validated input");
        for (i, op) in job.operators.iter().enumerate() {
            for input in &op.input {
                let default = if op.is_keyed() { Partitioning::Hash } else { Partitioning::Forward };
                dag.add_edge(nodes[pos(input)], nodes[i], op.partition.unwrap_or(default));
            }
        }
        let order: Vec<usize> = toposort(&dag, None).expect("validated acyclic").into_iter().map(|n| dag[n]).collect();
        let ops: Vec<OpSpec> = order
            .iter()
            .enumerate()
            .map(|(index, &i)| {
                let o = &job.operators[i];
                OpSpec {
                    index: index as u16,
                    id: o.id.clone(),
                    kind: o.kind.clone(),
                    parallelism: rescaled.get(&o.id).copied().unwrap_or_else(|| scenario.parallelism_of(o)),
                    partitions: o.partitions(),
                    records: o.records(),
                    keys: o.keys(),
                    fetch_size: o.fetch_size(),
                    func: o.func(),
                    inputs: vec![],
                    keyed: match &o.kind {
                        OperatorKind::Keyed(name) => Some(keyed(name).expect("validated: a registered keyed operator")),
                        _ => None,
                    },
                    sink: (o.kind == OperatorKind::Sink).then(|| o.sink_name().to_string()),
                    commits: o.kind == OperatorKind::Sink && !has_committer(o.sink_name()),
                    chained_to: None,
                    forced_aligned: false,
                    cost: o.cost.unwrap_or_default(),
                }
            })
            .collect();
        let topo_of = |i: usize| order.iter().position(|&x| x == i).expect("in order") as u16;
        let mut ops = ops;
        for op in ops.iter_mut() {
            let file = &job.operators[order[op.index as usize]];
            op.inputs = file.input.iter().map(|id| topo_of(pos(id))).collect();
        }
        let edges: Vec<(u16, u16, Partitioning)> = dag
            .edge_indices()
            .map(|e| {
                let (a, b) = dag.edge_endpoints(e).expect("edge");
                (topo_of(dag[a]), topo_of(dag[b]), dag[e])
            })
            .collect();
        let mut edges = edges;
        // A committer sink's writers feed one committer, after everything else.
        let writers: Vec<u16> = ops
            .iter()
            .filter(|o| o.kind == OperatorKind::Sink && o.sink.as_deref().is_some_and(has_committer))
            .map(|o| o.index)
            .collect();
        for writer in writers {
            let index = ops.len() as u16;
            let w = &ops[writer as usize];
            ops.push(OpSpec {
                index,
                id: format!("{}-committer", w.id),
                kind: OperatorKind::Committer,
                parallelism: 1,
                partitions: 0,
                records: 0,
                keys: 0,
                fetch_size: 0,
                func: Function::Identity,
                inputs: vec![writer],
                keyed: None,
                sink: w.sink.clone(),
                commits: true,
                chained_to: None,
                forced_aligned: false,
                cost: std::time::Duration::ZERO,
            });
            edges.push((writer, index, Partitioning::Rebalance));
        }
        // Only operators of the file chain (a committer reads its writers by rebalance).
        for &(from, to, edge) in &edges {
            let (Some(&up), Some(&down)) = (order.get(from as usize), order.get(to as usize)) else { continue };
            let (pu, pd) = (ops[from as usize].parallelism, ops[to as usize].parallelism);
            if chainable(job.chaining, &job.operators[up], &job.operators[down], edge, pu, pd) {
                ops[to as usize].chained_to = Some(from);
            }
        }
        for &(from, to, edge) in &edges {
            let pointwise =
                edge == Partitioning::Forward && ops[from as usize].parallelism == ops[to as usize].parallelism;
            if ops[to as usize].chained_to != Some(from) && (pointwise || edge == Partitioning::Broadcast) {
                ops[to as usize].forced_aligned = true;
            }
        }
        let tasks = expand(&ops, &edges);
        let edges = edges
            .iter()
            .map(|&(from, to, partitioning)| {
                let pointwise = ops[from as usize].parallelism == ops[to as usize].parallelism;
                let partitioning = match partitioning {
                    Partitioning::Forward if !pointwise => Partitioning::Rebalance,
                    other => other,
                };
                JobEdge { from, to, partitioning, chained: ops[to as usize].chained_to == Some(from) }
            })
            .collect();
        ExecutionGraph {
            ops,
            edges,
            tasks,
            max_parallelism: job.max_parallelism,
            buffer_records: scenario.network.buffer_records,
            buffers_per_channel: scenario.network.buffers_per_channel as u32,
            floating_buffers: scenario.network.floating_buffers as u32,
            protocol,
            aligned_timeout: scenario.checkpoint.aligned_timeout.unwrap_or_default(),
        }
    }

    /// The task a subtask runs in: the head of its chain (itself, unchained).
    pub fn head_of(&self, task: TaskId) -> TaskId {
        let mut op = task.op;
        while let Some(up) = self.ops[op as usize].chained_to {
            op = up;
        }
        TaskId { op, subtask: task.subtask }
    }

    /// The operator subtasks a task runs, its head first, each after the
    /// one it is chained to.
    pub fn chain(&self, head: TaskId) -> Vec<TaskId> {
        let mut members = vec![head];
        for op in &self.ops {
            if op.chained_to.is_some() && self.head_of(TaskId { op: op.index, subtask: head.subtask }) == head {
                members.push(TaskId { op: op.index, subtask: head.subtask });
            }
        }
        members
    }

    /// The subtasks that head a task (every subtask that is not chained to another).
    pub fn heads(&self) -> impl Iterator<Item = TaskId> + '_ {
        self.tasks.keys().copied().filter(|t| self.ops[t.op as usize].chained_to.is_none())
    }

    pub fn op(&self, task: TaskId) -> &OpSpec {
        &self.ops[task.op as usize]
    }

    pub fn task(&self, task: TaskId) -> &TaskSpec {
        &self.tasks[&task]
    }

    pub fn name(&self, task: TaskId) -> String {
        format!("{}[{}]", self.ops[task.op as usize].id, task.subtask)
    }

    /// Slots a deployment needs (slot sharing: one subtask of each operator per slot).
    pub fn slots_needed(&self) -> usize {
        self.ops.iter().map(|o| o.parallelism).max().unwrap_or(0)
    }

    /// Which of its operator's inputs (0 = first listed) a task's input
    /// channel `input` comes from.
    pub fn input_port(&self, task: TaskId, input: u16) -> usize {
        let upstream = self.task(task).inputs[input as usize].op;
        self.op(task).inputs.iter().position(|op| *op == upstream).unwrap_or(0)
    }

    /// The log partitions source subtask `subtask` reads.
    pub fn partitions_of(&self, op: &OpSpec, subtask: u16) -> Vec<u32> {
        (0..op.partitions as u32).filter(|p| *p as usize % op.parallelism == subtask as usize).collect()
    }

    /// Records in log partition `p` of source `op` (the remainder goes to the first ones).
    pub fn records_in(op: &OpSpec, p: u32) -> u64 {
        let n = op.partitions as u64;
        op.records / n + u64::from((p as u64) < op.records % n)
    }
}

/// Unaligned checkpoints as Flink takes them per channel: a pointwise or
/// broadcast channel cannot hold channel state (its records could not be
/// redistributed on rescale), so its barriers travel in order (Flink's
/// `FORCED_ALIGNED`), and an operator reading any such channel aligns all
/// its inputs, never timing out; every other channel stays unaligned in the
/// same checkpoint.
pub fn forced_aligned(op: &OpSpec, protocol: &dyn ProtocolKind) -> bool {
    op.forced_aligned && protocol.channel_state()
}

/// Whether `down` runs chained to `up`, the operator it reads: Flink's
/// `StreamingJobGraphGenerator.isChainable`, as far as it applies here —
/// chaining on for the job and for both operators (`chain = false` is
/// `disableChaining`: neither end chains), `down` reads that one input only,
/// over a forward edge, at the same parallelism. Every operator shares one
/// slot group, and sources start chains (they read no input).
fn chainable(enabled: bool, up: &Operator, down: &Operator, edge: Partitioning, pu: usize, pd: usize) -> bool {
    enabled
        && up.chain != Some(false)
        && down.chain != Some(false)
        && down.input.len() == 1
        && edge == Partitioning::Forward
        && pu == pd
}

fn expand(ops: &[OpSpec], edges: &[(u16, u16, Partitioning)]) -> BTreeMap<TaskId, TaskSpec> {
    let mut tasks = BTreeMap::new();
    for op in ops {
        for s in 0..op.parallelism as u16 {
            let id = TaskId { op: op.index, subtask: s };
            let name = format!("{}[{}]", op.id, s);
            tasks.insert(id, TaskSpec { id, name, inputs: vec![], outputs: vec![] });
        }
    }
    for &(from, to, partitioning) in edges {
        if ops[to as usize].chained_to == Some(from) {
            continue; // no channel: the two run in one task
        }
        let (pf, pt) = (ops[from as usize].parallelism as u16, ops[to as usize].parallelism as u16);
        let pointwise = partitioning == Partitioning::Forward && pf == pt;
        let partitioning =
            if partitioning == Partitioning::Forward && !pointwise { Partitioning::Rebalance } else { partitioning };
        for s in 0..pf {
            let src = TaskId { op: from, subtask: s };
            let mut targets = vec![];
            for d in 0..pt {
                if pointwise && d != s {
                    continue;
                }
                let dst = TaskId { op: to, subtask: d };
                let spec = tasks.get_mut(&dst).expect("task");
                spec.inputs.push(src);
                targets.push((dst, (spec.inputs.len() - 1) as u16));
            }
            tasks.get_mut(&src).expect("task").outputs.push(OutputEdge { partitioning, targets });
        }
    }
    tasks
}

/// Key group of a key (docs/rules.md, "Recovery": `hash(key) % max_parallelism`).
pub fn key_group(key: u64, max_parallelism: usize) -> usize {
    (splitmix(key) % max_parallelism as u64) as usize
}

/// The subtask owning a key group: `g · p / max_parallelism`.
pub fn subtask_for_key(key: u64, parallelism: usize, max_parallelism: usize) -> usize {
    key_group(key, max_parallelism) * parallelism / max_parallelism
}

/// splitmix64's finaliser: a well-mixed 64-bit hash of `x` (key groups,
/// the reference model's state fingerprints).
pub(crate) fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
#[path = "graph_tests.rs"]
mod tests;
