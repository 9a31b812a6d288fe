// Every string the console shows, in one object per language: add a language by adding an
// object with the same keys (missing keys fall back to English). Chinese is the default;
// English is one click away (the choice is kept in the browser). Class, cell, department and
// camera names come from the API (the district's own data), in Chinese with their English
// names where the data has them.
// 中文（默认）
const ZH = {
  'brand.sub': '指挥调度台',
  'nav.map': '地图', 'nav.queue': '案件', 'nav.review': '审核', 'nav.indicators': '考核指标',
  'login.title': '指挥中心登录', 'login.user': '用户名', 'login.password': '密码',
  'login.submit': '登录', 'login.failed': '登录失败', 'logout': '退出',
  'live.on': '实时', 'live.off': '离线', 'live.title': '案件变化实时推送',
  'role.dispatcher': '派遣员', 'role.department': '处置部门', 'role.supervisor': '监督员',
  'role.readonly': '只读',
  'filter.state': '状态', 'filter.class': '类别', 'filter.department': '部门',
  'filter.cell': '网格', 'filter.source': '来源', 'filter.overdue': '仅超期',
  'filter.any': '全部', 'filter.apply': '筛选', 'filter.clear': '清除',
  'col.id': '案件', 'col.state': '状态', 'col.class': '类别', 'col.cell': '网格',
  'col.department': '部门', 'col.source': '来源', 'col.reported': '上报时间',
  'col.due': '处置时限', 'col.actions': '',
  'queue.title': '案件列表', 'queue.more': '更多', 'queue.empty': '没有符合条件的案件。',
  'queue.count': '已显示 {0}',
  'review.title': '审核队列', 'review.hint': '等待人工确认的AI上报：确认即立案，误报则作废。',
  'review.confirm': '确认立案', 'review.reject': '误报', 'review.empty': '没有待审核的上报。',
  'map.title': '网格地图', 'map.legend': '图例', 'map.cells': '{0} 个网格', 'map.cases': '{0} 件在办',
  'map.fit': '全图', 'map.show_closed': '显示已结案和作废',
  'case.title': '案件 {0}', 'case.evidence': '证据', 'case.history': '处置记录',
  'case.details': '详情', 'case.actions': '操作', 'case.note': '备注',
  'case.departments': '处置部门', 'case.reports': '上报', 'case.no_actions': '当前状态下您的角色无可用操作。',
  'case.download': '下载视频（{0}）', 'case.no_evidence': '此案件没有存储证据。',
  'case.snapshot': '抓拍', 'case.clip': '视频', 'case.overdue': '超期',
  'case.location': '位置', 'case.due': '处置时限', 'case.reported': '上报',
  'case.filed': '立案', 'case.dispatched': '派遣', 'case.closed': '结案',
  'case.camera': '摄像机', 'case.detector': '检测器', 'case.label': '作废原因',
  'case.satisfaction': '满意度', 'case.extra_hours': '延期',
  'case.done': '案件 {0}：{1} 完成', 'case.back': '← 返回',
  'ind.title': '考核指标', 'ind.period': '时段', 'ind.group': '分组',
  'ind.from': '起', 'ind.to': '止', 'ind.refresh': '刷新',
  'ind.received': '受理', 'ind.filed': '立案', 'ind.due': '应结案', 'ind.closed': '结案',
  'ind.on_time': '按期结案', 'ind.rejected': '作废', 'ind.false_alarms': '误报',
  'ind.closure_rate': '结案率', 'ind.on_time_rate': '按期结案率',
  'ind.mean_close': '平均结案用时', 'ind.rework_rate': '返工率', 'ind.false_alarm_rate': '误报率', 'ind.by': '按{0}', 'ind.none': '此时段没有案件。',
  'group.department': '部门', 'group.class': '类别', 'group.cell': '网格',
  'group.source': '来源', 'group.camera': '摄像机', 'group.detector': '检测器',
  'toast.new_case': '新案件 {0}：{1}，{2}', 'toast.transition': '案件 {0}：{1} → {2}',
  'toast.reminder': '案件 {0}：即将到期', 'toast.supervision': '案件 {0}：第 {1} 轮督办',
  'error.generic': '请求失败', 'error.session': '会话已结束，请重新登录。',
  'loading': '加载中…',
  'lang.switch': 'EN', 'lang.title': 'Switch the console to English',
  'queue.total': '{0} / 共 {1} 件', 'queue.sort': '排序', 'sort.newest': '最新在前', 'sort.deadline': '时限在前',
  'queue.keys': 'j/k 或 ↑/↓ 移动 · 回车打开', 'queue.mine': '{0} 的在办案件',
  'review.keys': 'j/k 移动 · c 确认 · f 误报 · n 下一条 · v 视频', 'review.reason': '原因',
  'review.reason_needed': '请先选择误报原因',
  'review.noimage': '尚无抓拍', 'review.clip': '视频',
  'reason.false_alarm': '误报', 'reason.shadow_or_light': '阴影或光线',
  'reason.wrong_class': '类别错误', 'reason.outside_zone': '不在区域内',
  'reason.duplicate': '重复', 'reason.not_our_matter': '非本部门事项',
  'case.path': '地点', 'case.time_left': '剩余 {0}', 'case.overdue_by': '已超期 {0}',
  'case.related': '关联案件', 'case.recurs': '复发自 #{0}', 'case.minimap': '位置',
  'case.no_related': '无。', 'case.merged': '{0} 条上报已合并到此案件',
  'ind.open': '在办', 'ind.overdue': '超期', 'ind.formula': '公式', 'ind.trend': '趋势',
  'ind.interval': '趋势按', 'ind.week': '周', 'ind.month': '月', 'ind.csv': '导出 CSV',
  'ind.rounding.truncate': '截尾', 'ind.rounding.half_up': '四舍五入',
  'ind.decimals': '{0} 位小数', 'ind.as_of': '在办与超期截至 {0}',
  'tz.label': 'UTC{0}',
  'ind.reworked': '返工', 'ind.extended': '延期', 'ind.evaluated': '已评价', 'ind.satisfied': '满意',
};

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
    'lang.switch': '中文', 'lang.title': 'Switch the console to Chinese',
    'queue.total': '{0} of {1}', 'queue.sort': 'Sort', 'sort.newest': 'Newest first', 'sort.deadline': 'Deadline first',
    'queue.keys': 'j/k or ↑/↓ move · Enter opens', 'queue.mine': 'Open cases of {0}',
    'review.keys': 'j/k move · c confirm · f false alarm · n next · v clip', 'review.reason': 'Reason',
    'review.reason_needed': 'Pick the false-alarm reason first',
    'review.noimage': 'no snapshot yet', 'review.clip': 'Clip',
    'reason.false_alarm': 'false alarm', 'reason.shadow_or_light': 'shadow or light',
    'reason.wrong_class': 'wrong class', 'reason.outside_zone': 'outside the zone',
    'reason.duplicate': 'duplicate', 'reason.not_our_matter': 'not our matter',
    'case.path': 'Place', 'case.time_left': '{0} left', 'case.overdue_by': 'overdue by {0}',
    'case.related': 'Related cases', 'case.recurs': 'recurs #{0}', 'case.minimap': 'Where',
    'case.no_related': 'None.', 'case.merged': '{0} reports merged into this case',
    'ind.open': 'Open', 'ind.overdue': 'Overdue', 'ind.formula': 'Formula', 'ind.trend': 'Trend',
    'ind.interval': 'Trend by', 'ind.week': 'week', 'ind.month': 'month', 'ind.csv': 'Export CSV',
    'ind.rounding.truncate': 'truncated', 'ind.rounding.half_up': 'rounded half up',
    'ind.decimals': '{0} decimals', 'ind.as_of': 'open and overdue as of {0}',
    'tz.label': 'UTC{0}',
    'ind.reworked': 'Reworked', 'ind.extended': 'Extended', 'ind.evaluated': 'Evaluated', 'ind.satisfied': 'Satisfied',
  },
  zh: ZH,
};

const KEY = 'gridsight.lang';
const stored = (() => { try { return localStorage.getItem(KEY); } catch { return null; } })();
export const lang = STRINGS[stored] ? stored : 'zh';
const table = { ...STRINGS.en, ...(STRINGS[lang] || {}) };
document.documentElement.lang = lang === 'zh' ? 'zh-CN' : lang;

// Switches the language (kept in the browser) and reloads the page in it.
export function setLang(l) {
  try { localStorage.setItem(KEY, l); } catch { /* private mode: this page only */ }
  location.reload();
}

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
  duplicate: 'duplicate', working_hours: 'working hours', working_days: 'working days',
};
const WORDS_ZH = {
  self_correction: '自行整改期', reported: '待审核', self_corrected: '已自行整改',
  rejected: '已作废', filed: '已立案', dispatched: '已派遣', returned: '已退回',
  parked: '已挂起', resolved: '已处置', verified: '已核查', closed: '已结案', evaluated: '已评价',
  report: '上报', file: '立案', reject: '作废', dispatch: '派遣', call_in: '联合派遣',
  return: '退回', resolve: '处置完毕', verify: '核查', rework: '返工', close: '结案',
  evaluate: '评价', extend: '延期', park: '挂起', unpark: '恢复', remind: '到期提醒',
  supervise: '督办', self_correction_cleared: '已自行消除',
  self_correction_persisted: '仍然存在',
  ai_camera: 'AI摄像机', grid_worker: '网格员', hotline: '热线',
  false_alarm: '误报', not_our_matter: '非本部门事项', duplicate: '重复',
  satisfied: '满意', basically_satisfied: '基本满意', dissatisfied: '不满意',
  working_hours: '工作小时', working_days: '工作日',
};
export function word(id) {
  return (lang === 'zh' ? WORDS_ZH[id] : WORDS[id]) ?? WORDS[id] ?? id;
}

export const STATES = ['self_correction', 'reported', 'filed', 'dispatched', 'returned', 'parked',
  'resolved', 'verified', 'closed', 'evaluated', 'rejected', 'self_corrected'];
export const SOURCES = ['ai_camera', 'grid_worker', 'hotline'];
