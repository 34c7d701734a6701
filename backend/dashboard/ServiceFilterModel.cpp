#include "dashboard/ServiceFilterModel.h"

#include "dashboard/ServiceTableModel.h"

#include <QHostAddress>
#include <cstring>

ServiceFilterModel::ServiceFilterModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    setDynamicSortFilter(true);
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(this, signal, this, &ServiceFilterModel::countChanged);
    connect(this, &QAbstractItemModel::modelReset, this, &ServiceFilterModel::countChanged);
    connect(this, &QAbstractItemModel::layoutChanged, this, &ServiceFilterModel::countChanged);
}

void ServiceFilterModel::setSource(QAbstractItemModel *model)
{
    if (model == sourceModel())
        return;
    setSourceModel(model);
    applySort();
    Q_EMIT sourceChanged();
    Q_EMIT countChanged();
}

void ServiceFilterModel::setFilterText(const QString &text)
{
    if (text == m_filterText)
        return;
    m_filterText = text;
    invalidateRowsFilter();
    Q_EMIT filterTextChanged();
    Q_EMIT countChanged();
}

void ServiceFilterModel::setSortRoleName(const QString &name)
{
    if (name == m_sortRoleName)
        return;
    m_sortRoleName = name;
    applySort();
    Q_EMIT sortChanged();
}

void ServiceFilterModel::setAscending(bool ascending)
{
    if (ascending == m_ascending)
        return;
    m_ascending = ascending;
    applySort();
    Q_EMIT sortChanged();
}

void ServiceFilterModel::toggleSort(const QString &roleName)
{
    if (roleName == m_sortRoleName)
        setAscending(!m_ascending);
    else
        setSortRoleName(roleName);
}

int ServiceFilterModel::roleFor(const QString &name) const
{
    if (!sourceModel())
        return -1;
    return sourceModel()->roleNames().key(name.toUtf8(), -1);
}

QVariant ServiceFilterModel::get(int row, const QString &roleName) const
{
    return data(index(row, 0), roleFor(roleName));
}

int ServiceFilterModel::rowOfService(const QString &serviceId) const
{
    if (serviceId.isEmpty())
        return -1;
    for (int row = 0, n = rowCount(); row < n; ++row) {
        if (index(row, 0).data(ServiceTableModel::ServiceIdRole).toString() == serviceId)
            return row;
    }
    return -1;
}

QString ServiceFilterModel::columnRoleName(int column) const
{
    return QString::fromLatin1(ServiceTableModel::columnRoleName(column));
}

void ServiceFilterModel::applySort()
{
    const int role = roleFor(m_sortRoleName);
    if (role < 0)
        return;
    setSortRole(role);
    sort(0, m_ascending ? Qt::AscendingOrder : Qt::DescendingOrder);
}

bool ServiceFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_filterText.isEmpty())
        return true;
    const QModelIndex i = sourceModel()->index(sourceRow, 0, sourceParent);
    using R = ServiceTableModel::Role;
    for (int role : {R::NameRole, R::ServiceIdRole, R::AddressRole, R::HostRole,
                     R::ContainerNameRole, R::ImageRole, R::TagsRole, R::ProtocolRole}) {
        if (i.data(role).toString().contains(m_filterText, Qt::CaseInsensitive))
            return true;
    }
    return false;
}

bool ServiceFilterModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    using R = ServiceTableModel::Role;
    const QVariant l = left.data(sortRole());
    const QVariant r = right.data(sortRole());
    int c = QVariant::compare(l, r) == QPartialOrdering::Less      ? -1
            : QVariant::compare(l, r) == QPartialOrdering::Greater ? 1
                                                                   : 0;
    if (sortRole() == R::IpRole) {
        // Addresses in numeric order (10.0.0.5 before 10.0.0.10), then by port.
        const QHostAddress la(l.toString()), ra(r.toString());
        if (!la.isNull() && !ra.isNull()) {
            const Q_IPV6ADDR a = la.toIPv6Address(), b = ra.toIPv6Address();
            c = std::memcmp(a.c, b.c, sizeof a.c);
        }
        if (c == 0)
            c = left.data(R::PortRole).toInt() - right.data(R::PortRole).toInt();
    }
    if (c != 0)
        return c < 0;
    // Ties keep a stable, readable order: by host, then id.
    const QString lk = left.data(R::HostRole).toString() + left.data(R::ServiceIdRole).toString();
    const QString rk = right.data(R::HostRole).toString() + right.data(R::ServiceIdRole).toString();
    return lk < rk;
}
