// The cluster projection: instances (latest incarnation of each, with its status), the
// coordinator and its term. Pure reducer plus the liveness questions every reader asks.
import { Map as IMap } from 'immutable';
import { assertNever } from '../assert-never.js';
import type { LogRecord } from '../events/log-record.js';
import type { ClusterState, CoordinatorView, InstanceStatus, InstanceView } from './state.js';
import { revise, stampOf } from './views.js';

export function initialCluster(): ClusterState {
  return Object.freeze({ instances: IMap<string, InstanceView>(), term: 0 });
}

/**
 * Pure: the cluster projection after `record`. Expects the replay rules (apply-record.ts) to have
 * accepted the record; an event that does not concern the cluster returns `cluster` itself. The
 * maps may be mutable (applyBatch): only their return values are used, and reads come before writes.
 */
export function reduceCluster(cluster: ClusterState, record: LogRecord): ClusterState {
  switch (record.type) {
    case 'InstanceStarted': {
      const d = record.data;
      const stamp = stampOf(record);
      const view: InstanceView = Object.freeze({
        instanceId: d.instanceId,
        inc: record.seq,
        host: d.host,
        pid: d.pid,
        version: d.version,
        slots: d.slots,
        confHash: d.confHash,
        formatLevel: d.formatLevel,
        status: 'started',
        started: stamp,
        updated: stamp,
      });
      return revise(cluster, { instances: cluster.instances.set(d.instanceId, view) });
    }
    case 'InstanceStopping':
      return withStatus(cluster, record, record.data.instanceId, record.data.inc, 'stopping');
    case 'InstanceStopped':
      return withStatus(cluster, record, record.data.instanceId, record.data.inc, 'stopped');
    case 'InstanceLost':
      return withStatus(cluster, record, record.data.instanceId, record.data.inc, 'lost');
    case 'CoordinatorElected': {
      const d = record.data;
      const coordinator: CoordinatorView = Object.freeze({
        instanceId: d.instanceId,
        inc: d.inc,
        term: d.term,
        elected: stampOf(record),
      });
      return revise(cluster, { term: d.term, coordinator });
    }
    case 'BatchRepaired':
    case 'OperatorNote':
    case 'ChannelCreated':
    case 'ChannelUpdated':
    case 'ChannelDeleted':
    case 'ChannelPaused':
    case 'ChannelResumed':
    case 'ChannelStandbyEntered':
    case 'ChannelStandbyLeft':
    case 'UserAdded':
    case 'UserChanged':
    case 'UserRemoved':
    case 'TokenCreated':
    case 'TokenRevoked':
    case 'SettingChanged':
    case 'JobSubmitted':
    case 'JobAssigned':
    case 'JobStarted':
    case 'JobCompleted':
    case 'JobFailed':
    case 'JobReviewRequested':
    case 'JobApproved':
    case 'JobRejected':
    case 'JobReleased':
    case 'JobRetried':
    case 'JobCancelled':
    case 'FilesPurged':
      return cluster;
    default:
      return assertNever(record, 'event');
  }
}

function withStatus(
  cluster: ClusterState,
  record: LogRecord,
  instanceId: string,
  inc: number,
  status: InstanceStatus,
): ClusterState {
  const view = incarnation(cluster, instanceId, inc);
  if (view === undefined) return cluster;
  const next = revise(view, { status, updated: stampOf(record) });
  return revise(cluster, { instances: cluster.instances.set(instanceId, next) });
}

/** The view of `instanceId` if `inc` is still its current incarnation (whatever its status). */
export function incarnation(
  cluster: ClusterState,
  instanceId: string,
  inc: number,
): InstanceView | undefined {
  const view = cluster.instances.get(instanceId);
  return view !== undefined && view.inc === inc ? view : undefined;
}

/** True when `instanceId` incarnation `inc` is current and started (takes work, may be elected). */
export function isLive(cluster: ClusterState, instanceId: string, inc: number): boolean {
  return incarnation(cluster, instanceId, inc)?.status === 'started';
}

/**
 * The coordinator whose events the replay rules accept: elected for the current term, its
 * incarnation still current and started or stopping (a stopping coordinator may still hand over).
 */
export function actingCoordinator(cluster: ClusterState): CoordinatorView | undefined {
  const c = cluster.coordinator;
  if (c === undefined || c.term !== cluster.term) return undefined;
  const status = incarnation(cluster, c.instanceId, c.inc)?.status;
  return status === 'started' || status === 'stopping' ? c : undefined;
}
