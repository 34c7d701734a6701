#include "dashboard/KeyTreeModel.h"

#include "dashboard/ClusterListModel.h"
#include "dashboard/KeyTreeNode.h"

#include <QJsonDocument>

KeyTreeModel::KeyTreeModel(QObject *parent) : QAbstractItemModel(parent)
{
    m_root = std::make_unique<Node>();
    m_root->entry.dir = true;
}

KeyTreeModel::~KeyTreeModel() = default;

QString KeyTreeModel::statusName() const
{
    return ClusterListModel::statusName(m_status);
}

void KeyTreeModel::setStatus(ClusterState::Status status, const QString &error)
{
    if (status != m_status) {
        m_status = status;
        Q_EMIT statusChanged();
    }
    if (error != m_errorString) {
        m_errorString = error;
        Q_EMIT errorStringChanged();
    }
}

void KeyTreeModel::setSource(KeyTreeSource *source)
{
    if (source == m_source)
        return;
    m_source = source;
    reload();
    Q_EMIT sourceChanged();
}

void KeyTreeModel::setRootPrefix(const QString &prefix)
{
    if (prefix == m_rootPrefix)
        return;
    m_rootPrefix = prefix;
    reload();
    Q_EMIT rootPrefixChanged();
}

void KeyTreeModel::setPageSize(int size)
{
    size = std::clamp(size, 1, KeyTree::MaxLimit);
    if (size == m_pageSize)
        return;
    m_pageSize = size;
    Q_EMIT pageSizeChanged();
}

int KeyTreeModel::topLevelCount() const
{
    return int(m_root->children.size());
}

void KeyTreeModel::reload()
{
    ++m_generation;
    stopWatch();
    if (m_refreshPending > 0) {
        m_refreshPending = 0;
        Q_EMIT refreshingChanged();
    }
    beginResetModel();
    m_root = std::make_unique<Node>();
    m_root->entry.dir = true;
    m_root->entry.key = m_rootPrefix.toUtf8();
    endResetModel();
    Q_EMIT topLevelCountChanged();
    if (!m_source) {
        setStatus(ClusterState::Status::Disconnected,
                  QStringLiteral("Not connected: there is no etcd or feed to read keys from."));
        return;
    }
    if (!m_root->started) // a view may have fetched it already on modelReset
        requestPage(m_root.get());
}

KeyTreeModel::Node *KeyTreeModel::nodeFor(const QModelIndex &index) const
{
    return index.isValid() ? static_cast<Node *>(index.internalPointer()) : m_root.get();
}

QModelIndex KeyTreeModel::indexFor(Node *node) const
{
    if (!node || node == m_root.get())
        return {};
    return createIndex(node->row, 0, node);
}

QModelIndex KeyTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    const Node *p = nodeFor(parent);
    if (column != 0 || row < 0 || row >= int(p->children.size()))
        return {};
    return createIndex(row, 0, p->children.at(size_t(row)).get());
}

QModelIndex KeyTreeModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    return indexFor(nodeFor(child)->parent);
}

int KeyTreeModel::rowCount(const QModelIndex &parent) const
{
    if (parent.column() > 0)
        return 0;
    return int(nodeFor(parent)->children.size());
}

int KeyTreeModel::columnCount(const QModelIndex &) const
{
    return 1;
}

bool KeyTreeModel::hasChildren(const QModelIndex &parent) const
{
    const Node *n = nodeFor(parent);
    return n->entry.dir && (!n->started || !n->children.empty());
}

QVariant KeyTreeModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Node *n = nodeFor(index);
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return n->isMore ? QStringLiteral("more…") : n->entry.name;
    case KeyRole:
        return QString::fromUtf8(n->entry.key);
    case IsDirRole:
        return n->entry.dir;
    case SizeRole:
        return n->entry.size;
    case IsMoreRole:
        return n->isMore;
    case LoadingRole:
        return n->loading;
    default:
        return {};
    }
}

QHash<int, QByteArray> KeyTreeModel::roleNames() const
{
    return {{Qt::DisplayRole, "display"}, {NameRole, "name"}, {KeyRole, "key"},
            {IsDirRole, "isDir"},         {SizeRole, "size"}, {IsMoreRole, "isMore"},
            {LoadingRole, "loading"}};
}

bool KeyTreeModel::canFetchMore(const QModelIndex &parent) const
{
    const Node *n = nodeFor(parent);
    return m_source && n->entry.dir && !n->started && !n->loading;
}

void KeyTreeModel::fetchMore(const QModelIndex &parent)
{
    if (canFetchMore(parent))
        requestPage(nodeFor(parent));
}

void KeyTreeModel::loadChildren(const QModelIndex &index)
{
    fetchMore(index);
}

void KeyTreeModel::activate(const QModelIndex &index)
{
    Node *n = nodeFor(index);
    if (!index.isValid())
        return;
    if (n->isMore) {
        if (!n->parent->loading)
            requestPage(n->parent);
    } else if (!n->entry.dir) {
        selectKey(QString::fromUtf8(n->entry.key));
    } else {
        fetchMore(index);
    }
}

void KeyTreeModel::requestPage(Node *dir)
{
    if (!m_source)
        return;
    dir->started = true;
    dir->loading = true;
    if (dir == m_root.get() && dir->children.empty())
        setStatus(ClusterState::Status::Connecting,
                  QStringLiteral("Listing %1 from %2…")
                      .arg(m_rootPrefix.isEmpty() ? QStringLiteral("all keys") : m_rootPrefix,
                           m_source->description()));
    const quint64 generation = m_generation;
    const QByteArray dirKey = dir->entry.key;
    m_source->list(dir->entry.key, dir->next, m_pageSize, this,
                   [this, dirKey, generation](const KeyTreePage &page) {
                       if (generation != m_generation)
                           return;
                       // A refresh may have removed the directory (or put a new node in its place).
                       Node *dir = findDir(dirKey);
                       if (!dir || !dir->loading)
                           return;
                       dir->loading = false;
                       if (page.error.isError()) {
                           setStatus(ClusterState::Status::Error,
                                     QStringLiteral("Could not list %1: %2")
                                         .arg(QString::fromUtf8(page.prefix), page.error.message));
                           if (dir->children.empty())
                               dir->started = false; // expanding again retries
                           return;
                       }
                       appendPage(dir, page);
                       if (dir == m_root.get())
                           Q_EMIT topLevelCountChanged();
                       setReadyStatus();
                       if (dir == m_root.get() && m_refreshPending == 0)
                           markRead();
                       if (dir == m_root.get() && !m_watch)
                           startWatch(page.revision);
                       Q_EMIT pageLoaded(QString::fromUtf8(page.prefix));
                   });
    if (dir != m_root.get())
        Q_EMIT dataChanged(indexFor(dir), indexFor(dir), {LoadingRole});
}

// The page's rows after the loaded ones, in place of the old "more" row.
void KeyTreeModel::appendPage(Node *dir, const KeyTreePage &page)
{
    const QModelIndex parentIndex = indexFor(dir);
    // The old "more" row goes; the page's keys and maybe a new "more" row come.
    if (!dir->children.empty() && dir->children.back()->isMore) {
        const int last = int(dir->children.size()) - 1;
        beginRemoveRows(parentIndex, last, last);
        dir->children.pop_back();
        endRemoveRows();
    }
    const int first = int(dir->children.size());
    const int count = int(page.children.size()) + (page.more ? 1 : 0);
    if (count > 0) {
        beginInsertRows(parentIndex, first, first + count - 1);
        for (const KeyTreeEntry &e : page.children) {
            auto n = std::make_unique<Node>();
            n->entry = e;
            n->parent = dir;
            n->row = int(dir->children.size());
            dir->children.push_back(std::move(n));
        }
        if (page.more) {
            auto n = std::make_unique<Node>();
            n->isMore = true;
            n->parent = dir;
            n->row = int(dir->children.size());
            dir->children.push_back(std::move(n));
        }
        endInsertRows();
    }
    dir->next = page.next;
}

void KeyTreeModel::setReadyStatus()
{
    const QString prefix = m_rootPrefix.isEmpty() ? QStringLiteral("the keyspace") : m_rootPrefix;
    setStatus(ClusterState::Status::Ready,
              m_root->children.empty()
                  ? QStringLiteral("No keys under %1 in %2.").arg(prefix, m_source->description())
                  : QString());
}

QModelIndex KeyTreeModel::indexForKey(const QString &key) const
{
    const QByteArray k = key.toUtf8();
    Node *n = m_root.get();
    while (n) {
        Node *nextNode = nullptr;
        for (const auto &c : n->children) {
            if (c->isMore)
                continue;
            if (c->entry.key == k)
                return indexFor(c.get());
            if (c->entry.dir && k.startsWith(c->entry.key)) {
                nextNode = c.get();
                break;
            }
        }
        n = nextNode;
    }
    return {};
}

QString KeyTreeModel::prettyValue(const QByteArray &value, bool *isJson)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(value, &error);
    const bool json = error.error == QJsonParseError::NoError && !doc.isNull();
    if (isJson)
        *isJson = json;
    if (json)
        return QString::fromUtf8(doc.toJson(QJsonDocument::Indented)).trimmed();
    return QString::fromUtf8(value);
}

void KeyTreeModel::selectKey(const QString &key)
{
    readSelected(key, false);
}

// `quiet` (a refresh): the pane keeps showing the value until the new one is read, and is told
// only when something changed, so the text and its scroll position stay put.
void KeyTreeModel::readSelected(const QString &key, bool quiet)
{
    const quint64 serial = ++m_selectSerial;
    if (!quiet) {
        m_selected = {{QStringLiteral("key"), key}, {QStringLiteral("loading"), true}};
        Q_EMIT selectedChanged();
    }
    if (!m_source) {
        m_selected.insert(QStringLiteral("loading"), false);
        m_selected.insert(QStringLiteral("error"), QStringLiteral("Not connected."));
        Q_EMIT selectedChanged();
        return;
    }
    m_source->get(key.toUtf8(), this, [this, serial, key](const KeyTreeValue &v) {
        if (serial != m_selectSerial)
            return;
        bool isJson = false;
        QVariantMap m{{QStringLiteral("key"), key},
                      {QStringLiteral("loading"), false},
                      {QStringLiteral("found"), v.found}};
        if (v.error.isError()) {
            m.insert(QStringLiteral("error"),
                     QStringLiteral("Could not read %1: %2").arg(key, v.error.message));
        } else if (!v.found) {
            m.insert(
                QStringLiteral("error"),
                QStringLiteral("%1 no longer exists (deleted or its lease expired).").arg(key));
        } else {
            m.insert(QStringLiteral("value"), QString::fromUtf8(v.kv.value));
            m.insert(QStringLiteral("pretty"), prettyValue(v.kv.value, &isJson));
            m.insert(QStringLiteral("isJson"), isJson);
            m.insert(QStringLiteral("size"), v.kv.value.size());
            m.insert(QStringLiteral("createRevision"), v.kv.createRevision);
            m.insert(QStringLiteral("modRevision"), v.kv.modRevision);
            m.insert(QStringLiteral("version"), v.kv.version);
            // Lease ids are shown in hex, as etcdctl prints them.
            m.insert(QStringLiteral("lease"),
                     v.kv.lease ? QString::number(quint64(v.kv.lease), 16) : QString());
        }
        if (m == m_selected)
            return;
        m_selected = m;
        Q_EMIT selectedChanged();
    });
}

KeyTreeModel::Node *KeyTreeModel::findDir(const QByteArray &key) const
{
    Node *n = m_root.get();
    while (n && n->entry.key != key) {
        Node *inside = nullptr;
        for (const auto &c : n->children) {
            if (!c->isMore && c->entry.dir && key.startsWith(c->entry.key)) {
                inside = c.get();
                break;
            }
        }
        n = inside;
    }
    return n;
}

void KeyTreeModel::markRead()
{
    m_readAt = QDateTime::currentDateTime();
    Q_EMIT readAtChanged();
}
