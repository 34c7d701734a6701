#include "dashboard/ClusterListModel.h"

#include "dashboard/UpdateBatcher.h"

ClusterListModel::ClusterListModel(QObject *parent)
    : QAbstractListModel(parent), m_batcher(new UpdateBatcher(100, this))
{
    connect(m_batcher, &UpdateBatcher::flush, this, [this] {
        refresh();
        if (rowCount() != m_lastCount) {
            m_lastCount = rowCount();
            Q_EMIT countChanged();
        }
    });
}

ClusterListModel::~ClusterListModel() = default;

QString ClusterListModel::statusName(ClusterState::Status status)
{
    switch (status) {
    case ClusterState::Status::Connecting:
        return QStringLiteral("connecting");
    case ClusterState::Status::Ready:
        return QStringLiteral("ready");
    case ClusterState::Status::Error:
        return QStringLiteral("error");
    case ClusterState::Status::Disconnected:
        break;
    }
    return QStringLiteral("disconnected");
}

void ClusterListModel::setCluster(ClusterState *cluster)
{
    if (m_cluster == cluster)
        return;
    if (m_cluster)
        disconnect(m_cluster, nullptr, this, nullptr);
    m_cluster = cluster;
    if (m_cluster) {
        connect(m_cluster, &ClusterState::statusChanged, this, &ClusterListModel::syncStatus);
        connect(m_cluster, &ClusterState::errorStringChanged, this, &ClusterListModel::syncStatus);
        connect(m_cluster, &QObject::destroyed, this, [this] { setCluster(nullptr); });
        if (m_tracksServiceChanges) {
            connect(m_cluster, &ClusterState::serviceAdded, this,
                    [this](const ServiceRecord &s) { noteService(s, false); });
            connect(m_cluster, &ClusterState::serviceChanged, this,
                    [this](const ServiceRecord &s) { noteService(s, false); });
            connect(m_cluster, &ClusterState::serviceRemoved, this,
                    [this](const ServiceRecord &s) { noteService(s, true); });
        }
        watch(m_cluster);
    }
    m_serviceChanges.clear(); // reload() reads everything
    reload();
    syncStatus();
    m_lastCount = rowCount();
    Q_EMIT countChanged();
    Q_EMIT clusterChanged();
}

void ClusterListModel::watch(ClusterState *cluster)
{
    connect(cluster, &ClusterState::hostChanged, this, &ClusterListModel::scheduleRefresh);
    connect(cluster, &ClusterState::hostRemoved, this, &ClusterListModel::scheduleRefresh);
    connect(cluster, &ClusterState::serviceAdded, this, &ClusterListModel::scheduleRefresh);
    connect(cluster, &ClusterState::serviceChanged, this, &ClusterListModel::scheduleRefresh);
    connect(cluster, &ClusterState::serviceRemoved, this, &ClusterListModel::scheduleRefresh);
}

void ClusterListModel::noteService(const ServiceRecord &record, bool removed)
{
    m_serviceChanges.insert(record.key, ServiceChange{record, removed});
    scheduleRefresh();
}

QList<ServiceChange> ClusterListModel::takeServiceChanges(qsizetype max)
{
    QList<ServiceChange> out;
    // Into empty rows everything goes at once: one sorted run, one row insert for the view.
    if (max < 0 || m_serviceChanges.size() <= max || rowCount() == 0) {
        out.reserve(m_serviceChanges.size());
        for (const ServiceChange &c : std::as_const(m_serviceChanges))
            out.append(c);
        m_serviceChanges.clear();
        return out;
    }
    // A burst (a re-list after a reconnect, a view shown again after minutes, or only a busy
    // interval) is spread over several batches, so no single one holds the GUI thread for long.
    out.reserve(max);
    for (auto it = m_serviceChanges.begin(); it != m_serviceChanges.end() && out.size() < max;) {
        out.append(*it);
        it = m_serviceChanges.erase(it);
    }
    m_batcher->scheduleSoon();
    return out;
}

void ClusterListModel::scheduleRefresh()
{
    m_batcher->schedule();
}

bool ClusterListModel::isActive() const
{
    return !m_batcher->isHeld();
}

void ClusterListModel::setActive(bool active)
{
    if (active == isActive())
        return;
    if (active)
        m_batcher->release();
    else
        m_batcher->hold();
    Q_EMIT activeChanged();
}

void ClusterListModel::flush()
{
    // A batch takes at most MaxChangesPerBatch; the rest is pending again until it is all in.
    do
        m_batcher->flushNow();
    while (!m_serviceChanges.isEmpty() && m_batcher->isPending());
}

void ClusterListModel::syncStatus()
{
    const ClusterState::Status status =
        m_cluster ? m_cluster->status() : ClusterState::Status::Disconnected;
    const QString error = m_cluster ? m_cluster->errorString() : QString();
    if (status != m_status) {
        m_status = status;
        Q_EMIT statusChanged();
    }
    if (error != m_errorString) {
        m_errorString = error;
        Q_EMIT errorStringChanged();
    }
}
