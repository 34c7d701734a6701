#include "dashboard/HostListModel.h"

#include <QHash>

HostListModel::HostListModel(QObject *parent) : ClusterListModel(parent)
{
    setTracksServiceChanges(true);
}

int HostListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant HostListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case HostnameRole:
        return r.host.hostname;
    case AddressRole:
        return r.host.address;
    case UpRole:
        return r.host.up;
    case GoneAtRole:
        return r.host.goneAt;
    case StartedAtRole:
        return r.host.startedAt;
    case AgentVersionRole:
        return r.host.agentVersion;
    case DockerVersionRole:
        return r.host.dockerVersion;
    case FeedUrlRole:
        return r.host.feedUrl;
    case ServiceCountRole:
        return r.serviceCount;
    case LastEventTimeRole:
        return r.lastEventTime;
    case LastEventRole:
        return r.lastEvent;
    default:
        return {};
    }
}

QHash<int, QByteArray> HostListModel::roleNames() const
{
    return {{HostnameRole, "hostname"},
            {AddressRole, "address"},
            {UpRole, "up"},
            {GoneAtRole, "goneAt"},
            {StartedAtRole, "startedAt"},
            {AgentVersionRole, "agentVersion"},
            {DockerVersionRole, "dockerVersion"},
            {FeedUrlRole, "feedUrl"},
            {ServiceCountRole, "serviceCount"},
            {LastEventTimeRole, "lastEventTime"},
            {LastEventRole, "lastEvent"}};
}

int HostListModel::indexOf(const QString &hostname) const
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).host.hostname == hostname)
            return i;
    }
    return -1;
}

void HostListModel::watch(ClusterState *cluster)
{
    ClusterListModel::watch(cluster);
    connect(cluster, &ClusterState::eventAppended, this, [this](const ClusterEvent &e) {
        m_lastEvent.insert(e.host, e);
        scheduleRefresh();
    });
}

void HostListModel::countService(const ServiceChange &change)
{
    const QString &key = change.record.key;
    const auto it = m_hostOfService.constFind(key);
    if (change.removed) {
        if (it != m_hostOfService.cend()) {
            --m_serviceCount[*it];
            m_hostOfService.erase(it);
        }
    } else if (it == m_hostOfService.cend()) {
        m_hostOfService.insert(key, change.record.host);
        ++m_serviceCount[change.record.host];
    }
}

QList<HostListModel::Row> HostListModel::readRows() const
{
    QList<Row> rows;
    if (!cluster())
        return rows;
    for (const HostRecord &h : cluster()->hosts()) {
        Row r;
        r.host = h;
        r.serviceCount = m_serviceCount.value(h.hostname);
        const auto e = m_lastEvent.constFind(h.hostname);
        if (e != m_lastEvent.cend()) {
            r.lastEventTime = e->time;
            r.lastEvent = e->service.isEmpty()
                              ? ClusterEvent::actionName(e->action)
                              : e->service + QLatin1Char(' ') + ClusterEvent::actionName(e->action);
        }
        rows.append(r);
    }
    return rows;
}

void HostListModel::refresh()
{
    for (const ServiceChange &c : takeServiceChanges())
        countService(c);
    applySortedDiff(
        this, m_rows, readRows(),
        [](const Row &a, const Row &b) { return a.host.hostname < b.host.hostname; },
        [](const Row &a, const Row &b) {
            return a.host == b.host && a.serviceCount == b.serviceCount &&
                   a.lastEventTime == b.lastEventTime && a.lastEvent == b.lastEvent;
        });
    updateCounts();
}

void HostListModel::reload()
{
    m_hostOfService.clear();
    m_serviceCount.clear();
    m_lastEvent.clear();
    if (cluster()) {
        for (const ServiceRecord &s : cluster()->services())
            countService(ServiceChange{s, false});
        for (const ClusterEvent &e : cluster()->events())
            m_lastEvent.insert(e.host, e); // oldest first, so the newest wins
    }
    beginResetModel();
    m_rows = readRows();
    endResetModel();
    updateCounts();
}

void HostListModel::updateCounts()
{
    int up = 0;
    for (const Row &r : std::as_const(m_rows))
        up += r.host.up ? 1 : 0;
    const int gone = int(m_rows.size()) - up;
    if (up != m_upCount || gone != m_goneCount) {
        m_upCount = up;
        m_goneCount = gone;
        Q_EMIT countsChanged();
    }
}
