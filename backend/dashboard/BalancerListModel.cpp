#include "dashboard/BalancerListModel.h"

#include <QVariantMap>

BalancerListModel::BalancerListModel(QObject *parent) : ClusterListModel(parent) {}

int BalancerListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QString BalancerListModel::applyMethodText(const QString &method)
{
    if (method == QLatin1String("runtime"))
        return QStringLiteral("through the Runtime API (no reload)");
    if (method == QLatin1String("reload"))
        return QStringLiteral("by a reload");
    return method.isEmpty() ? QString() : QStringLiteral("by %1").arg(method);
}

QString BalancerListModel::routeText(const BalancerRoute &route)
{
    return QStringLiteral("%1 %2, %3 ready")
        .arg(route.servers)
        .arg(route.servers == 1 ? QStringLiteral("server") : QStringLiteral("servers"))
        .arg(route.ready);
}

QVariant BalancerListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const BalancerRecord &b = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return b.name;
    case HostRole:
        return b.host;
    case DriverRole:
        return b.driver;
    case DriverVersionRole:
        return b.driverVersion;
    case DriverTextRole:
        return QStringList{b.driver, b.driverVersion}.join(QLatin1Char(' ')).trimmed();
    case VersionRole:
        return b.version;
    case StartedAtRole:
        return b.startedAt;
    case LastApplyAtRole:
        return b.lastApplyAt;
    case LastApplyMethodRole:
        return b.lastApplyMethod;
    case LastApplyTextRole:
        return applyMethodText(b.lastApplyMethod);
    case LastErrorRole:
        return b.lastError;
    case LastErrorAtRole:
        return b.lastErrorAt;
    case RoutesRole: {
        QVariantList routes;
        for (const BalancerRoute &r : b.routes) {
            routes.append(QVariantMap{{QStringLiteral("service"), r.service},
                                      {QStringLiteral("backend"), r.backend},
                                      {QStringLiteral("servers"), r.servers},
                                      {QStringLiteral("ready"), r.ready},
                                      {QStringLiteral("text"), routeText(r)}});
        }
        return routes;
    }
    case RouteCountRole:
        return int(b.routes.size());
    default:
        return {};
    }
}

QHash<int, QByteArray> BalancerListModel::roleNames() const
{
    return {{NameRole, "name"},
            {HostRole, "host"},
            {DriverRole, "driver"},
            {DriverVersionRole, "driverVersion"},
            {DriverTextRole, "driverText"},
            {VersionRole, "version"},
            {StartedAtRole, "startedAt"},
            {LastApplyAtRole, "lastApplyAt"},
            {LastApplyMethodRole, "lastApplyMethod"},
            {LastApplyTextRole, "lastApplyText"},
            {LastErrorRole, "lastError"},
            {LastErrorAtRole, "lastErrorAt"},
            {RoutesRole, "routes"},
            {RouteCountRole, "routeCount"}};
}

int BalancerListModel::indexOf(const QString &name) const
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).name == name)
            return i;
    }
    return -1;
}

void BalancerListModel::watch(ClusterState *cluster)
{
    // Only balancers change these rows.
    connect(cluster, &ClusterState::balancerChanged, this, &BalancerListModel::scheduleRefresh);
}

void BalancerListModel::refresh()
{
    applySortedDiff(
        this, m_rows, cluster() ? cluster()->balancers() : QList<BalancerRecord>(),
        [](const BalancerRecord &a, const BalancerRecord &b) { return a.name < b.name; },
        [](const BalancerRecord &a, const BalancerRecord &b) { return a == b; });
    updateCounts();
}

void BalancerListModel::reload()
{
    beginResetModel();
    m_rows = cluster() ? cluster()->balancers() : QList<BalancerRecord>();
    endResetModel();
    updateCounts();
}

void BalancerListModel::updateCounts()
{
    int errors = 0;
    for (const BalancerRecord &b : std::as_const(m_rows))
        errors += b.lastError.isEmpty() ? 0 : 1;
    if (errors != m_errorCount) {
        m_errorCount = errors;
        Q_EMIT countsChanged();
    }
}
