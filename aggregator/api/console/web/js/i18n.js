// Every string the console shows, in one object per language: add a language by adding an
// object with the same keys (missing keys fall back to English). Class names, cell names and
// department names are shown as the API gives them (they come from the district's data).
const STRINGS = {
  en: {
    'brand.sub': 'dispatch console',
    'nav.map': 'Map', 'nav.queue': 'Cases', 'nav.review': 'Review', 'nav.indicators': 'Indicators',
    'login.title': 'Dispatch centre sign-in', 'login.user': 'User', 'login.password': 'Password',
    'login.submit': 'Sign in', 'login.failed': 'Sign-in failed', 'logout': 'Sign out',
    'live.on': 'LIVE', 'live.off': 'OFFLINE', 'live.title': 'Live feed of case changes',
    'role.dispatcher': 'dispatcher', 'role.department': 'department', 'role.supervisor': 'supervisor',
    'role.readonly': 'read-only',
    'filter.state': 'State', 'filter.class': 'Class', 'filter.department': 'Department',
    'filter.cell': 'Cell', 'filter.source': 'Source', 'filter.overdue': 'Overdue only',
    'filter.any': 'any', 'filter.apply': 'Apply', 'filter.clear': 'Clear',
    'col.id': 'Case', 'col.state': 'State', 'col.class': 'Class', 'col.cell': 'Grid cell',
    'col.department': 'Department', 'col.source': 'Source', 'col.reported': 'Reported',
    'col.due': 'Deadline', 'col.actions': '',
    'queue.title': 'Case queue', 'queue.more': 'More', 'queue.empty': 'No cases match.',
    'queue.count': '{0} shown',
    'review.title': 'Review queue', 'review.hint': 'AI reports waiting for an operator: confirm files the case, reject marks it.',
    'review.confirm': 'Confirm', 'review.reject': 'False alarm', 'review.empty': 'Nothing waiting for review.',
    'map.title': 'Grid map', 'map.legend': 'Legend', 'map.cells': '{0} cells', 'map.cases': '{0} open cases',
    'map.fit': 'Fit', 'map.show_closed': 'Show closed and rejected',
    'case.title': 'Case {0}', 'case.evidence': 'Evidence', 'case.history': 'History',
    'case.details': 'Details', 'case.actions': 'Actions', 'case.note': 'Note',
    'case.departments': 'Departments', 'case.reports': 'Reports', 'case.no_actions': 'No action is open to your role in this state.',
    'case.download': 'Download clip ({0})', 'case.no_evidence': 'No evidence stored for this case.',
    'case.snapshot': 'Snapshot', 'case.clip': 'Clip', 'case.overdue': 'OVERDUE',
    'case.location': 'Location', 'case.due': 'Deadline', 'case.reported': 'Reported',
    'case.filed': 'Filed', 'case.dispatched': 'Dispatched', 'case.closed': 'Closed',
    'case.camera': 'Camera', 'case.detector': 'Detector', 'case.label': 'Rejection label',
    'case.satisfaction': 'Satisfaction', 'case.extra_hours': 'Extension',
    'case.done': 'Case {0}: {1} done', 'case.back': '← back',
    'ind.title': 'Indicators', 'ind.period': 'Period', 'ind.group': 'Group by',
    'ind.from': 'From', 'ind.to': 'To', 'ind.refresh': 'Refresh',
    'ind.received': 'Received', 'ind.filed': 'Filed', 'ind.due': 'Due to close', 'ind.closed': 'Closed',
    'ind.on_time': 'Closed on time', 'ind.rejected': 'Rejected', 'ind.false_alarms': 'False alarms',
    'ind.closure_rate': 'Closure rate', 'ind.on_time_rate': 'On-time rate',
    'ind.mean_close': 'Mean time to close', 'ind.rework_rate': 'Rework rate', 'ind.false_alarm_rate': 'False-alarm rate', 'ind.by': 'by {0}', 'ind.none': 'No cases in the period.',
    'group.department': 'department', 'group.class': 'class', 'group.cell': 'grid cell',
    'group.source': 'source', 'group.camera': 'camera', 'group.detector': 'detector',
    'toast.new_case': 'New case {0}: {1} in {2}', 'toast.transition': 'Case {0}: {1} → {2}',
    'toast.reminder': 'Case {0}: deadline approaching', 'toast.supervision': 'Case {0}: supervision round {1}',
    'error.generic': 'Request failed', 'error.session': 'Session ended, please sign in again.',
    'loading': 'Loading…',
  },
};

const lang = (navigator.language || 'en').slice(0, 2);
const table = { ...STRINGS.en, ...(STRINGS[lang] || {}) };

export function t(key, ...args) {
  const s = table[key] ?? key;
  return s.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)] ?? ''));
}

// Human words for the API's identifiers (states, actions, sources); the identifier itself
// when no word is known.
const WORDS = {
  self_correction: 'self-correction', reported: 'reported', self_corrected: 'self-corrected',
  rejected: 'rejected', filed: 'filed', dispatched: 'dispatched', returned: 'returned',
  parked: 'parked', resolved: 'resolved', verified: 'verified', closed: 'closed', evaluated: 'evaluated',
  report: 'report', file: 'file', reject: 'reject', dispatch: 'dispatch', call_in: 'call-in',
  return: 'return', resolve: 'resolve', verify: 'verify', rework: 'rework', close: 'close',
  evaluate: 'evaluate', extend: 'extend', park: 'park', unpark: 'unpark', remind: 'reminder',
  supervise: 'supervision', self_correction_cleared: 'cleared by itself',
  self_correction_persisted: 'still present', incident_ended: 'the camera no longer sees it',
  ai_camera: 'AI camera', grid_worker: 'grid worker', hotline: 'hotline',
  false_alarm: 'false alarm', not_our_matter: 'not our matter',
  satisfied: 'satisfied', basically_satisfied: 'basically satisfied', dissatisfied: 'dissatisfied',
};
export function word(id) {
  return WORDS[id] ?? id;
}

export const STATES = ['self_correction', 'reported', 'filed', 'dispatched', 'returned', 'parked',
  'resolved', 'verified', 'closed', 'evaluated', 'rejected', 'self_corrected'];
export const SOURCES = ['ai_camera', 'grid_worker', 'hotline'];
