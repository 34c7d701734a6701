#include "dashboard/EventLogModel.h"

#include <QTimer>

EventLogModel::EventLogModel(QObject *parent)
    : ClusterListModel(parent), m_minuteTimer(new QTimer(this))
{
    // The chart slides even when nothing happens.
    m_minuteTimer->setInterval(15000);
    connect(m_minuteTimer, &QTimer::timeout, this, &EventLogModel::minuteCountsChanged);
    m_minuteTimer->start();
}

int EventLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant EventLogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ClusterEvent &e = m_rows.at(index.row());
    switch (role) {
    case SeqRole:
        return e.seq;
    case Qt::DisplayRole:
    case ActionRole:
        return ClusterEvent::actionName(e.action);
    case HostRole:
        return e.host;
    case ServiceRole:
        return e.service;
    case ServiceIdRole:
        return e.serviceId;
    case AddressRole:
        return e.address;
    case RevisionRole:
        return e.revision;
    case TimeRole:
        return e.time;
    case TimeTextRole:
        return timeText(e.time, QDateTime::currentDateTime());
    default:
        return {};
    }
}

QHash<int, QByteArray> EventLogModel::roleNames() const
{
    return {{SeqRole, "seq"},           {ActionRole, "action"},       {HostRole, "host"},
            {ServiceRole, "service"},   {ServiceIdRole, "serviceId"}, {AddressRole, "address"},
            {RevisionRole, "revision"}, {TimeRole, "time"},           {TimeTextRole, "timeText"}};
}

QString EventLogModel::timeText(const QDateTime &time, const QDateTime &now)
{
    // Services listed at connect carry when they were registered, often days ago: an event not
    // of today says its day, so "16:32" from last week never reads as a minute ago.
    const QDateTime local = time.toLocalTime();
    if (local.date() == now.toLocalTime().date())
        return local.toString(QStringLiteral("HH:mm:ss"));
    return local.toString(QStringLiteral("MMM d HH:mm"));
}

QStringList EventLogModel::actions() const
{
    QStringList out;
    for (auto a :
         {ClusterEvent::Action::Added, ClusterEvent::Action::Removed, ClusterEvent::Action::Changed,
          ClusterEvent::Action::HostUp, ClusterEvent::Action::HostGone})
        out << ClusterEvent::actionName(a);
    return out;
}

void EventLogModel::watch(ClusterState *cluster)
{
    connect(cluster, &ClusterState::eventAppended, this, [this](const ClusterEvent &e) {
        m_arrived.append(e);
        // Held while no view shows it, the model keeps only what refresh() would keep.
        const qsizetype limit = this->cluster() ? this->cluster()->eventLimit() : 1000;
        if (m_arrived.size() > 2 * limit)
            m_arrived.remove(0, m_arrived.size() - limit);
        scheduleRefresh();
    });
}

bool EventLogModel::matches(const ClusterEvent &e) const
{
    if (e.seq <= m_clearedUpTo || e.seq > m_shownUpTo)
        return false;
    if (!m_hostFilter.isEmpty() && e.host != m_hostFilter)
        return false;
    if (!m_serviceFilter.isEmpty() && e.service != m_serviceFilter)
        return false;
    return m_actionFilter.isEmpty() || ClusterEvent::actionName(e.action) == m_actionFilter;
}

void EventLogModel::insertNewest(const QList<ClusterEvent> &events)
{
    QList<ClusterEvent> shown;
    for (auto it = events.crbegin(); it != events.crend(); ++it) {
        if (matches(*it))
            shown.append(*it);
    }
    if (!shown.isEmpty()) {
        beginInsertRows({}, 0, int(shown.size() - 1));
        m_rows = shown + m_rows;
        endInsertRows();
    }
    if (m_rows.size() > m_rowLimit) {
        beginRemoveRows({}, m_rowLimit, int(m_rows.size() - 1));
        m_rows.resize(m_rowLimit);
        endRemoveRows();
    }
}

void EventLogModel::refresh()
{
    const QList<ClusterEvent> arrived = std::exchange(m_arrived, {});
    if (arrived.isEmpty())
        return;
    m_all += arrived;
    const int limit = cluster() ? cluster()->eventLimit() : 1000;
    if (m_all.size() > limit)
        m_all.remove(0, m_all.size() - limit);
    if (m_paused) {
        setPendingCount(m_pendingCount + int(arrived.size()));
    } else {
        m_shownUpTo = arrived.last().seq;
        insertNewest(arrived);
    }
    Q_EMIT minuteCountsChanged();
}

void EventLogModel::rebuild()
{
    beginResetModel();
    m_rows.clear();
    for (auto it = m_all.crbegin(); it != m_all.crend() && m_rows.size() < m_rowLimit; ++it) {
        if (matches(*it))
            m_rows.append(*it);
    }
    endResetModel();
    Q_EMIT countChanged();
}

void EventLogModel::reload()
{
    m_arrived.clear();
    m_all = cluster() ? cluster()->events() : QList<ClusterEvent>();
    m_clearedUpTo = 0;
    if (!m_paused)
        m_shownUpTo = m_all.isEmpty() ? 0 : m_all.last().seq;
    setPendingCount(0);
    rebuild();
    Q_EMIT minuteCountsChanged();
}

void EventLogModel::setHostFilter(const QString &host)
{
    if (host == m_hostFilter)
        return;
    m_hostFilter = host;
    rebuild();
    Q_EMIT filterChanged();
}

void EventLogModel::setServiceFilter(const QString &service)
{
    if (service == m_serviceFilter)
        return;
    m_serviceFilter = service;
    rebuild();
    Q_EMIT filterChanged();
}

void EventLogModel::setActionFilter(const QString &action)
{
    if (action == m_actionFilter)
        return;
    m_actionFilter = action;
    rebuild();
    Q_EMIT filterChanged();
}

void EventLogModel::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    flush(); // what arrived before the click belongs on the right side of it
    m_paused = paused;
    if (!paused && !m_all.isEmpty() && m_all.last().seq > m_shownUpTo) {
        QList<ClusterEvent> waiting;
        for (const ClusterEvent &e : std::as_const(m_all)) {
            if (e.seq > m_shownUpTo)
                waiting.append(e);
        }
        m_shownUpTo = m_all.last().seq;
        insertNewest(waiting);
        Q_EMIT countChanged();
    }
    setPendingCount(0);
    Q_EMIT pausedChanged();
}

void EventLogModel::clear()
{
    flush();
    if (!m_all.isEmpty())
        m_clearedUpTo = m_all.last().seq;
    if (!m_rows.isEmpty()) {
        beginRemoveRows({}, 0, int(m_rows.size() - 1));
        m_rows.clear();
        endRemoveRows();
        Q_EMIT countChanged();
    }
    setPendingCount(0);
}

void EventLogModel::setPendingCount(int n)
{
    if (n == m_pendingCount)
        return;
    m_pendingCount = n;
    Q_EMIT pendingCountChanged();
}

void EventLogModel::setChartMinutes(int minutes)
{
    minutes = std::clamp(minutes, 1, 24 * 60);
    if (minutes == m_chartMinutes)
        return;
    m_chartMinutes = minutes;
    Q_EMIT minuteCountsChanged();
}

QVariantList EventLogModel::minuteCounts() const
{
    // Oldest minute first; the last entry is the current, partial minute.
    QList<int> counts(m_chartMinutes, 0);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (auto it = m_all.crbegin(); it != m_all.crend(); ++it) {
        const qint64 ago = it->time.secsTo(now) / 60;
        if (ago >= m_chartMinutes)
            break;
        if (ago >= 0)
            ++counts[m_chartMinutes - 1 - int(ago)];
    }
    QVariantList out;
    for (int c : counts)
        out.append(c);
    return out;
}
