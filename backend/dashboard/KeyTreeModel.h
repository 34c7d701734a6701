#pragma once

#include "cluster/ClusterState.h"
#include "dashboard/KeyTreeSource.h"

#include <QAbstractItemModel>
#include <QDateTime>
#include <QPointer>
#include <QVariantMap>
#include <memory>
#include <vector>

// The etcd keyspace for a TreeView, read lazily: a directory lists its first page when it is
// expanded (canFetchMore/fetchMore), and a trailing "more" row loads the next page when
// activated. `select` reads one key for the value pane: pretty JSON, revisions, lease. Read-only.
// `refresh` lists every loaded directory again and applies the difference as row inserts,
// removes and data changes, so a view keeps its expanded directories and the selection.
// When the source can watch (etcd), puts and deletes under the root prefix are applied to the
// loaded nodes as they happen (`watching`); when the watch ends, the model refreshes and
// watches again from the refreshed revision.
class KeyTreeModel : public QAbstractItemModel {
    Q_OBJECT
    Q_PROPERTY(KeyTreeSource *source READ source WRITE setSource NOTIFY sourceChanged)
    Q_PROPERTY(QString rootPrefix READ rootPrefix WRITE setRootPrefix NOTIFY rootPrefixChanged)
    Q_PROPERTY(int pageSize READ pageSize WRITE setPageSize NOTIFY pageSizeChanged)
    Q_PROPERTY(ClusterState::Status status READ status NOTIFY statusChanged)
    Q_PROPERTY(QString statusName READ statusName NOTIFY statusChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)
    Q_PROPERTY(int topLevelCount READ topLevelCount NOTIFY topLevelCountChanged)
    Q_PROPERTY(QVariantMap selected READ selected NOTIFY selectedChanged)
    // When the tree last matched etcd: the first page of a reload, or the end of a refresh.
    Q_PROPERTY(QDateTime readAt READ readAt NOTIFY readAtChanged)
    Q_PROPERTY(bool refreshing READ refreshing NOTIFY refreshingChanged)
    Q_PROPERTY(bool watching READ watching NOTIFY watchingChanged)
    // Off: no watch, only refreshes (as with the feed). On again: refreshes, then watches.
    Q_PROPERTY(bool watchEnabled READ watchEnabled WRITE setWatchEnabled NOTIFY watchEnabledChanged)
public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        KeyRole,
        IsDirRole,
        SizeRole,
        IsMoreRole, // the "load more" row at the end of a directory with more pages
        LoadingRole,
    };
    Q_ENUM(Role)

    explicit KeyTreeModel(QObject *parent = nullptr);
    ~KeyTreeModel() override;

    KeyTreeSource *source() const { return m_source; }
    void setSource(KeyTreeSource *source);
    QString rootPrefix() const { return m_rootPrefix; }
    void setRootPrefix(const QString &prefix);
    int pageSize() const { return m_pageSize; }
    void setPageSize(int size);
    ClusterState::Status status() const { return m_status; }
    QString statusName() const;
    QString errorString() const { return m_errorString; }
    int topLevelCount() const;
    // {key, found, value, pretty, isJson, createRevision, modRevision, version, lease, size,
    //  loading, error}
    QVariantMap selected() const { return m_selected; }
    QDateTime readAt() const { return m_readAt; }
    bool refreshing() const { return m_refreshPending > 0; }
    bool watching() const { return m_watch != nullptr; }
    bool watchEnabled() const { return m_watchEnabled; }
    void setWatchEnabled(bool on);

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

    Q_INVOKABLE void loadChildren(const QModelIndex &index); // first page of a directory
    Q_INVOKABLE void activate(const QModelIndex &index); // a key: select; a "more" row: next page
    Q_INVOKABLE void selectKey(const QString &key);
    Q_INVOKABLE void reload();
    // Lists the loaded directories again in place and re-reads the selected key.
    Q_INVOKABLE void refresh();
    Q_INVOKABLE QModelIndex indexForKey(const QString &key) const; // loaded nodes only

    static QString prettyValue(const QByteArray &value, bool *isJson = nullptr);

Q_SIGNALS:
    void sourceChanged();
    void rootPrefixChanged();
    void pageSizeChanged();
    void statusChanged();
    void errorStringChanged();
    void topLevelCountChanged();
    void selectedChanged();
    void pageLoaded(const QString &prefix); // after rows of a page were inserted
    void readAtChanged();
    void refreshingChanged();
    void watchingChanged();
    void watchEnabledChanged();

private:
    struct Node; // KeyTreeNode.h
    Node *nodeFor(const QModelIndex &index) const;
    QModelIndex indexFor(Node *node) const;
    Node *findDir(const QByteArray &key) const; // a loaded directory (or the root), else null
    void requestPage(Node *dir);
    void appendPage(Node *dir, const KeyTreePage &page);
    void readSelected(const QString &key, bool quiet);
    void markRead();
    void setStatus(ClusterState::Status status, const QString &error);
    void setReadyStatus(); // Ready, saying so when there are no keys
    // Keeping the loaded rows in step with etcd, in KeyTreeSync.cpp.
    void refreshDir(Node *dir);
    void mergePage(Node *dir, const KeyTreePage &page);
    void renumber(Node *dir, int from);
    void removeRow(Node *dir, int row);
    void insertNode(Node *dir, int row, std::unique_ptr<Node> node);
    void startWatch(qint64 revision);
    void stopWatch();
    void applyChange(const QByteArray &key, bool deleted, qint64 size);
    void dropIfEmpty(const QByteArray &dirKey); // a folder not opened: ask whether it is empty

    QPointer<KeyTreeSource> m_source;
    QString m_rootPrefix = QStringLiteral("/");
    int m_pageSize = 100;
    std::unique_ptr<Node> m_root;
    quint64 m_generation = 0; // drops page answers for a tree that was reloaded
    quint64 m_selectSerial = 0;
    ClusterState::Status m_status = ClusterState::Status::Disconnected;
    QString m_errorString;
    QVariantMap m_selected;
    QDateTime m_readAt;
    int m_refreshPending = 0;
    QPointer<KeyTreeWatch> m_watch;
    bool m_watchEnabled = true;
};
