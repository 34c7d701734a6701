#include "dashboard/ServiceGroupModel.h"

ServiceGroupModel::ServiceGroupModel(QObject *parent) : ClusterListModel(parent) {}

int ServiceGroupModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_groups.size());
}

QString ServiceGroupModel::summary(const Group &g)
{
    const qsizetype n = g.instances.size();
    return QStringLiteral("%1: %2 %3 on %4")
        .arg(g.name)
        .arg(n)
        .arg(n == 1 ? QStringLiteral("instance") : QStringLiteral("instances"))
        .arg(g.hosts.join(QStringLiteral(", ")));
}

QVariant ServiceGroupModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Group &g = m_groups.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return g.name;
    case InstanceCountRole:
        return int(g.instances.size());
    case HostCountRole:
        return int(g.hosts.size());
    case HostsRole:
        return g.hosts;
    case SummaryRole:
        return summary(g);
    case InstancesRole: {
        QVariantList list;
        for (const ServiceRecord &s : g.instances) {
            list.append(QVariantMap{{QStringLiteral("host"), s.host},
                                    {QStringLiteral("address"), s.address()},
                                    {QStringLiteral("containerName"), s.containerName},
                                    {QStringLiteral("serviceId"), s.id},
                                    {QStringLiteral("protocol"), s.protocol},
                                    {QStringLiteral("image"), s.image}});
        }
        return list;
    }
    default:
        return {};
    }
}

QHash<int, QByteArray> ServiceGroupModel::roleNames() const
{
    return {{NameRole, "name"},           {InstanceCountRole, "instanceCount"},
            {HostCountRole, "hostCount"}, {HostsRole, "hosts"},
            {SummaryRole, "summary"},     {InstancesRole, "instances"}};
}

void ServiceGroupModel::watch(ClusterState *cluster)
{
    // Hosts do not change groups; only services do.
    connect(cluster, &ClusterState::serviceAdded, this, &ServiceGroupModel::scheduleRefresh);
    connect(cluster, &ClusterState::serviceChanged, this, &ServiceGroupModel::scheduleRefresh);
    connect(cluster, &ClusterState::serviceRemoved, this, &ServiceGroupModel::scheduleRefresh);
}

QList<ServiceGroupModel::Group> ServiceGroupModel::readGroups() const
{
    QList<Group> groups;
    if (!cluster())
        return groups;
    const QMap<QString, QList<ServiceRecord>> byName = cluster()->servicesByName();
    for (auto it = byName.cbegin(); it != byName.cend(); ++it) {
        Group g;
        g.name = it.key();
        g.instances = it.value();
        for (const ServiceRecord &s : g.instances) {
            if (!g.hosts.contains(s.host))
                g.hosts.append(s.host);
        }
        g.hosts.sort();
        groups.append(g);
    }
    return groups;
}

void ServiceGroupModel::refresh()
{
    applySortedDiff(
        this, m_groups, readGroups(),
        [](const Group &a, const Group &b) { return a.name < b.name; },
        [](const Group &a, const Group &b) { return a.instances == b.instances; });
}

void ServiceGroupModel::reload()
{
    beginResetModel();
    m_groups = readGroups();
    endResetModel();
}
