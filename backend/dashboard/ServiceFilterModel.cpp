#include "dashboard/ServiceFilterModel.h"

#include "dashboard/ServiceTableModel.h"

#include <QHostAddress>
#include <cstring>
#include <utility>

ServiceFilterModel::ServiceFilterModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    setDynamicSortFilter(true);
    // One countChanged per batch, not one per row run: a batch of 100 changes to a sorted 10k
    // table arrives as ~100 row signals, and each would re-evaluate the view's count bindings.
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved}) {
        connect(this, signal, this, [this] {
            if (std::exchange(m_countChangePending, true))
                return;
            QMetaObject::invokeMethod(
                this,
                [this] {
                    m_countChangePending = false;
                    Q_EMIT countChanged();
                },
                Qt::QueuedConnection);
        });
    }
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
    const auto *table = qobject_cast<const ServiceTableModel *>(sourceModel());
    if (!table || sourceParent.isValid())
        return false;
    const ServiceRecord &s = table->recordAt(sourceRow);
    const auto has = [this](const QString &text) {
        return text.contains(m_filterText, Qt::CaseInsensitive);
    };
    return has(s.name) || has(s.id) || has(s.address()) || has(s.host) || has(s.containerName) ||
           has(s.image) || has(s.tags.join(QStringLiteral(", "))) || has(s.protocol) ||
           has(s.health) || has(table->routing().text(s.name));
}

bool ServiceFilterModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    // Straight from the records: through data() and QVariant, inserting a row into 10k sorted
    // ones cost more than the GUI thread can spare per frame.
    const auto *table = qobject_cast<const ServiceTableModel *>(sourceModel());
    if (!table)
        return QSortFilterProxyModel::lessThan(left, right);
    const ServiceRecord &l = table->recordAt(left.row());
    const ServiceRecord &r = table->recordAt(right.row());
    using R = ServiceTableModel::Role;
    int c = 0;
    if (sortRole() == R::IpRole) {
        // Addresses in numeric order (10.0.0.5 before 10.0.0.10), then by port.
        const QHostAddress la(l.ip), ra(r.ip);
        if (!la.isNull() && !ra.isNull()) {
            const Q_IPV6ADDR a = la.toIPv6Address(), b = ra.toIPv6Address();
            c = std::memcmp(a.c, b.c, sizeof a.c);
        } else {
            c = l.ip.compare(r.ip);
        }
        if (c == 0)
            c = l.port - r.port;
    } else if (sortRole() == R::RoutedByRole) {
        c = table->routing().instanceText(l).compare(table->routing().instanceText(r));
    } else {
        c = ServiceTableModel::compareBy(sortRole(), l, r);
    }
    if (c != 0)
        return c < 0;
    // Ties keep a stable, readable order: by host, then id.
    c = l.host.compare(r.host);
    return c != 0 ? c < 0 : l.id < r.id;
}
