// KeyTreeModel's live half: refresh lists the opened directories again and merges the answers
// in place; the watch applies single puts and deletes to the loaded rows. Both change rows one
// at a time (never a reset), so a view keeps its expanded folders and selection.
#include "dashboard/KeyTreeModel.h"
#include "dashboard/KeyTreeNode.h"

#include <QTimer>

void KeyTreeModel::refresh()
{
    if (!m_source)
        return;
    if (!m_root->started) {
        reload();
        return;
    }
    // Every directory that was opened is listed again; a directory inside one that turns out to
    // be gone finds no node when its answer comes and is skipped.
    std::vector<Node *> dirs;
    std::vector<Node *> todo{m_root.get()};
    while (!todo.empty()) {
        Node *n = todo.back();
        todo.pop_back();
        if (n->started && !n->loading)
            dirs.push_back(n);
        for (const auto &c : n->children)
            if (c->entry.dir && c->started)
                todo.push_back(c.get());
    }
    const bool was = refreshing();
    for (Node *dir : dirs)
        refreshDir(dir);
    if (!was && refreshing())
        Q_EMIT refreshingChanged();
    const QString key = m_selected.value(QStringLiteral("key")).toString();
    if (!key.isEmpty())
        readSelected(key, true);
}

void KeyTreeModel::refreshDir(Node *dir)
{
    int loaded = 0;
    for (const auto &c : dir->children)
        loaded += c->isMore ? 0 : 1;
    const int limit = std::clamp(std::max(m_pageSize, loaded), 1, int(KeyTree::MaxLimit));
    ++m_refreshPending;
    const quint64 generation = m_generation;
    const QByteArray dirKey = dir->entry.key;
    m_source->list(dirKey, {}, limit, this, [this, dirKey, generation](const KeyTreePage &page) {
        if (generation != m_generation)
            return;
        Node *dir = findDir(dirKey);
        if (page.error.isError()) {
            setStatus(ClusterState::Status::Error,
                      QStringLiteral("Could not refresh %1: %2")
                          .arg(QString::fromUtf8(dirKey), page.error.message));
        } else if (dir && !dir->loading) { // a page being loaded will bring its own rows
            mergePage(dir, page);
            if (dir == m_root.get()) {
                if (!m_watch)
                    startWatch(page.revision);
                setReadyStatus();
            }
        }
        if (--m_refreshPending == 0) {
            if (m_status != ClusterState::Status::Error)
                markRead();
            Q_EMIT refreshingChanged();
        }
    });
}

void KeyTreeModel::renumber(Node *dir, int from)
{
    for (size_t i = size_t(from); i < dir->children.size(); ++i)
        dir->children[i]->row = int(i);
}

// Both lists are in key order (etcd's), so one pass finds what went, what came and what changed.
// Rows past the page's end are dropped when the page says there is more: the "more" row brings
// them back.
void KeyTreeModel::mergePage(Node *dir, const KeyTreePage &page)
{
    auto &kids = dir->children;
    const int topBefore = int(m_root->children.size());
    auto removeAt = [&](int r) { removeRow(dir, r); };
    auto insertAt = [&](int r, std::unique_ptr<Node> n) { insertNode(dir, r, std::move(n)); };
    if (!kids.empty() && kids.back()->isMore)
        removeAt(int(kids.size()) - 1);
    int r = 0;
    for (const KeyTreeEntry &e : page.children) {
        while (r < int(kids.size()) && kids[size_t(r)]->entry.key < e.key)
            removeAt(r);
        if (r < int(kids.size()) && kids[size_t(r)]->entry.key == e.key &&
            kids[size_t(r)]->entry.dir == e.dir) {
            Node *n = kids[size_t(r)].get();
            if (n->entry.size != e.size) {
                n->entry.size = e.size;
                const QModelIndex i = indexFor(n);
                Q_EMIT dataChanged(i, i, {SizeRole});
            }
        } else {
            if (r < int(kids.size()) && kids[size_t(r)]->entry.key == e.key)
                removeAt(r); // a key became a directory or the other way round
            auto n = std::make_unique<Node>();
            n->entry = e;
            insertAt(r, std::move(n));
        }
        ++r;
    }
    while (r < int(kids.size()))
        removeAt(r);
    if (page.more) {
        auto n = std::make_unique<Node>();
        n->isMore = true;
        insertAt(r, std::move(n));
    }
    dir->next = page.next;
    if (dir == m_root.get() && int(m_root->children.size()) != topBefore)
        Q_EMIT topLevelCountChanged();
}

void KeyTreeModel::removeRow(Node *dir, int row)
{
    beginRemoveRows(indexFor(dir), row, row);
    dir->children.erase(dir->children.begin() + row);
    renumber(dir, row);
    endRemoveRows();
}

void KeyTreeModel::insertNode(Node *dir, int row, std::unique_ptr<Node> node)
{
    node->parent = dir;
    beginInsertRows(indexFor(dir), row, row);
    dir->children.insert(dir->children.begin() + row, std::move(node));
    renumber(dir, row);
    endInsertRows();
}

void KeyTreeModel::setWatchEnabled(bool on)
{
    if (on == m_watchEnabled)
        return;
    m_watchEnabled = on;
    if (!on)
        stopWatch();
    else if (m_root->started)
        refresh(); // its root listing starts the watch from a fresh revision
    Q_EMIT watchEnabledChanged();
}

void KeyTreeModel::startWatch(qint64 revision)
{
    if (!m_source || m_watch || !m_watchEnabled)
        return;
    m_watch = m_source->watch(m_root->entry.key, revision, this);
    if (!m_watch)
        return;
    connect(m_watch, &KeyTreeWatch::changed, this, &KeyTreeModel::applyChange);
    connect(m_watch, &KeyTreeWatch::ended, this, [this](const QString &reason) {
        qInfo("key tree: the watch of %s ended (%s); listing again",
              m_rootPrefix.toUtf8().constData(), qPrintable(reason));
        stopWatch();
        // Its root listing watches again, from its revision; a second later, so a watch that
        // keeps failing at once does not become a busy loop.
        const quint64 generation = m_generation;
        QTimer::singleShot(1000, this, [this, generation] {
            if (generation == m_generation && !m_watch)
                refresh();
        });
    });
    Q_EMIT watchingChanged();
}

void KeyTreeModel::stopWatch()
{
    if (!m_watch)
        return;
    m_watch->disconnect(this);
    m_watch->deleteLater();
    m_watch = nullptr;
    Q_EMIT watchingChanged();
}

// One put or delete: only what is loaded changes. A key under a folder that was never opened
// changes nothing (the folder lists it when opened), and one that sorts after a partly loaded
// folder's last page comes with its "more" row.
void KeyTreeModel::applyChange(const QByteArray &key, bool deleted, qint64 size)
{
    if (m_selected.value(QStringLiteral("key")).toString().toUtf8() == key)
        readSelected(QString::fromUtf8(key), true);
    Node *d = m_root.get();
    if (!key.startsWith(d->entry.key))
        return;
    while (d->started && !d->loading) {
        const QByteArray rest = key.mid(d->entry.key.size());
        if (rest.isEmpty())
            return; // the prefix itself is not its own child
        const int slash = rest.indexOf('/');
        const bool isDir = slash >= 0;
        const QByteArray childKey = isDir ? d->entry.key + rest.left(slash + 1) : key;
        auto &kids = d->children;
        const int loaded = int(kids.size()) - (!kids.empty() && kids.back()->isMore ? 1 : 0);
        int r = 0;
        while (r < loaded && kids[size_t(r)]->entry.key < childKey)
            ++r;
        Node *c =
            r < loaded && kids[size_t(r)]->entry.key == childKey ? kids[size_t(r)].get() : nullptr;
        if (c && c->entry.dir != isDir)
            return;
        if (c && isDir) {
            if (deleted && !c->started)
                dropIfEmpty(childKey);
            d = c;
            continue;
        }
        if (c) { // a loaded leaf
            if (deleted) {
                removeRow(d, r);
                if (d == m_root.get())
                    Q_EMIT topLevelCountChanged();
                // Folders exist only through their keys: one left empty goes too.
                while (d != m_root.get() && d->children.empty()) {
                    Node *p = d->parent;
                    removeRow(p, d->row);
                    if (p == m_root.get())
                        Q_EMIT topLevelCountChanged();
                    d = p;
                }
            } else if (c->entry.size != size) {
                c->entry.size = size;
                const QModelIndex i = indexFor(c);
                Q_EMIT dataChanged(i, i, {SizeRole});
            }
            return;
        }
        if (deleted || (r == loaded && loaded < int(kids.size())))
            return; // nothing shown for it, or it belongs to a later page
        auto n = std::make_unique<Node>();
        n->entry.key = childKey;
        n->entry.dir = isDir;
        n->entry.name = QString::fromUtf8(isDir ? rest.left(slash) : rest);
        n->entry.size = isDir ? -1 : size;
        insertNode(d, r, std::move(n));
        if (d == m_root.get())
            Q_EMIT topLevelCountChanged();
        return;
    }
}

void KeyTreeModel::dropIfEmpty(const QByteArray &dirKey)
{
    const quint64 generation = m_generation;
    m_source->list(dirKey, {}, 1, this, [this, dirKey, generation](const KeyTreePage &page) {
        if (generation != m_generation || page.error.isError() || !page.children.isEmpty())
            return;
        Node *d = findDir(dirKey);
        if (!d || d == m_root.get() || d->started)
            return;
        Node *p = d->parent;
        removeRow(p, d->row);
        if (p == m_root.get())
            Q_EMIT topLevelCountChanged();
    });
}
