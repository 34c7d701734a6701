#include "dashboard/ServiceGroupModel.h"

namespace {
bool byHostThenId(const ServiceRecord &a, const ServiceRecord &b)
{
    return a.host != b.host ? a.host < b.host : a.id != b.id ? a.id < b.id : a.key < b.key;
}

ServiceGroupModel::Group makeGroup(const QString &name, const QList<ServiceRecord> &instances)
{
    ServiceGroupModel::Group g;
    g.name = name;
    g.instanceCount = int(instances.size());
    for (const ServiceRecord &s : instances) {
        if (g.hosts.isEmpty() || g.hosts.constLast() != s.host) // sorted by host
            g.hosts.append(s.host);
    }
    return g;
}
} // namespace

ServiceGroupModel::ServiceGroupModel(QObject *parent) : ClusterListModel(parent)
{
    setTracksServiceChanges(true);
}

int ServiceGroupModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_groups.size());
}

QString ServiceGroupModel::summary(const Group &g)
{
    const int n = g.instanceCount;
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
        return g.instanceCount;
    case HostCountRole:
        return int(g.hosts.size());
    case HostsRole:
        return g.hosts;
    case SummaryRole:
        return summary(g);
    case InstancesRole: {
        QVariantList list;
        for (const ServiceRecord &s : m_instances.value(g.name)) {
            list.append(
                QVariantMap{{QStringLiteral("host"), s.host},
                            {QStringLiteral("address"), s.address()},
                            {QStringLiteral("containerName"), s.containerName},
                            {QStringLiteral("serviceId"), s.id},
                            {QStringLiteral("protocol"), s.protocol},
                            {QStringLiteral("image"), s.image},
                            {QStringLiteral("health"), s.health},
                            {QStringLiteral("healthText"), ServiceRouting::healthText(s.health)}});
        }
        return list;
    }
    case RoutedByRole:
        return routedBy(g.name);
    case HealthSummaryRole:
        return healthSummary(g.name);
    default:
        return {};
    }
}

QHash<int, QByteArray> ServiceGroupModel::roleNames() const
{
    return {{NameRole, "name"},           {InstanceCountRole, "instanceCount"},
            {HostCountRole, "hostCount"}, {HostsRole, "hosts"},
            {SummaryRole, "summary"},     {InstancesRole, "instances"},
            {RoutedByRole, "routedBy"},   {HealthSummaryRole, "healthSummary"}};
}

QString ServiceGroupModel::routedBy(const QString &name) const
{
    QStringList parts;
    for (const ServiceRouting::Route &r : m_routing.routesOf(name)) {
        parts.append(QStringLiteral("%1 as %2 (%3 of %4 ready)")
                         .arg(r.balancer, r.backend)
                         .arg(r.ready)
                         .arg(r.servers));
    }
    return parts.join(QStringLiteral(", "));
}

QString ServiceGroupModel::healthSummary(const QString &name) const
{
    int unhealthy = 0, starting = 0;
    for (const ServiceRecord &s : m_instances.value(name)) {
        unhealthy += s.health == QLatin1String("unhealthy") ? 1 : 0;
        starting += s.health == QLatin1String("starting") ? 1 : 0;
    }
    QStringList parts;
    if (unhealthy)
        parts.append(QStringLiteral("%1 unhealthy").arg(unhealthy));
    if (starting)
        parts.append(QStringLiteral("%1 starting").arg(starting));
    return parts.join(QStringLiteral(", "));
}

void ServiceGroupModel::watch(ClusterState *cluster)
{
    // Hosts do not change groups; services do (the base class tracks those), and balancers
    // change what each group says about its routing.
    connect(cluster, &ClusterState::balancerChanged, this, [this] {
        m_routing.reset(this->cluster() ? this->cluster()->balancers() : QList<BalancerRecord>());
        if (!m_groups.isEmpty())
            Q_EMIT dataChanged(index(0), index(int(m_groups.size()) - 1), {RoutedByRole});
    });
}

void ServiceGroupModel::place(const ServiceChange &change, QSet<QString> *dirty)
{
    const ServiceRecord &s = change.record;
    // Out of the group it was in (its name may have changed)...
    const auto was = m_nameOf.constFind(s.key);
    if (was != m_nameOf.cend()) {
        QList<ServiceRecord> &list = m_instances[*was];
        const auto it = std::lower_bound(list.begin(), list.end(), s, byHostThenId);
        if (it != list.end() && it->key == s.key)
            list.erase(it);
        dirty->insert(*was);
        if (list.isEmpty())
            m_instances.remove(*was);
        m_nameOf.erase(was);
    }
    if (change.removed)
        return;
    // ...and into the one it is in now.
    QList<ServiceRecord> &list = m_instances[s.name];
    list.insert(std::lower_bound(list.begin(), list.end(), s, byHostThenId) - list.begin(), s);
    m_nameOf.insert(s.key, s.name);
    dirty->insert(s.name);
}

QList<ServiceGroupModel::Group> ServiceGroupModel::readGroups() const
{
    QStringList names = m_instances.keys();
    std::sort(names.begin(), names.end());
    QList<Group> groups;
    for (const QString &name : std::as_const(names))
        groups.append(makeGroup(name, m_instances.value(name)));
    return groups;
}

void ServiceGroupModel::refresh()
{
    QSet<QString> dirty;
    for (const ServiceChange &c : takeServiceChanges(MaxChangesPerBatch))
        place(c, &dirty);
    QList<std::pair<Group, bool>> changes;
    for (const QString &name : std::as_const(dirty)) {
        const auto it = m_instances.constFind(name);
        changes.append({it == m_instances.cend() ? makeGroup(name, {}) : makeGroup(name, *it),
                        it == m_instances.cend()});
    }
    applyRowChanges(
        this, m_groups, changes, [](const Group &a, const Group &b) { return a.name < b.name; },
        // A group is in `changes` because one of its instances changed: no need to compare.
        [](const Group &, const Group &) { return false; });
}

void ServiceGroupModel::reload()
{
    m_routing.reset(cluster() ? cluster()->balancers() : QList<BalancerRecord>());
    m_instances.clear();
    m_nameOf.clear();
    if (cluster()) {
        QSet<QString> ignored;
        for (const ServiceRecord &s : cluster()->services()) // sorted: each append keeps order
            place(ServiceChange{s, false}, &ignored);
    }
    beginResetModel();
    m_groups = readGroups();
    endResetModel();
}
