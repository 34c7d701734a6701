#pragma once

#include <QSortFilterProxyModel>

// Sorts and filters a ServiceTableModel for the table view: `filterText` matches name, id,
// address, host, container, image, tags, health and the balancers routing it (case-insensitive);
// `sortRoleName` names the column ("name", "address", "ageSeconds", ...).
class ServiceFilterModel : public QSortFilterProxyModel {
    Q_OBJECT
    Q_PROPERTY(QAbstractItemModel *source READ sourceModel WRITE setSource NOTIFY sourceChanged)
    Q_PROPERTY(QString filterText READ filterText WRITE setFilterText NOTIFY filterTextChanged)
    Q_PROPERTY(QString sortRoleName READ sortRoleName WRITE setSortRoleName NOTIFY sortChanged)
    Q_PROPERTY(bool ascending READ ascending WRITE setAscending NOTIFY sortChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
public:
    explicit ServiceFilterModel(QObject *parent = nullptr);

    void setSource(QAbstractItemModel *model);
    QString filterText() const { return m_filterText; }
    void setFilterText(const QString &text);
    QString sortRoleName() const { return m_sortRoleName; }
    void setSortRoleName(const QString &name);
    bool ascending() const { return m_ascending; }
    void setAscending(bool ascending);
    int count() const { return rowCount(); }
    // Clicking a header: sort by it, or flip the order when it already is the sort column.
    Q_INVOKABLE void toggleSort(const QString &roleName);
    Q_INVOKABLE QVariant get(int row, const QString &roleName) const;
    // The row showing the service with this id, -1 when it is filtered out or gone; lets a view
    // keep its selection on a service while rows are sorted, inserted and removed.
    Q_INVOKABLE int rowOfService(const QString &serviceId) const;
    // The role a column of the table sorts by (ServiceTableModel::columnRoleName).
    Q_INVOKABLE QString columnRoleName(int column) const;

Q_SIGNALS:
    void sourceChanged();
    void filterTextChanged();
    void sortChanged();
    void countChanged();

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    void applySort();
    int roleFor(const QString &name) const;

    QString m_filterText;
    QString m_sortRoleName = QStringLiteral("name");
    bool m_ascending = true;
    bool m_countChangePending = false;
};
