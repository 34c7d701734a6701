#pragma once

#include "dashboard/KeyTreeModel.h"

#include <memory>
#include <vector>

// One loaded row of KeyTreeModel: a key, a directory, or a directory's "load more" row. Shared
// by the model's two halves: KeyTreeModel.cpp (rows, pages, the selected key) and
// KeyTreeSync.cpp (refresh and watch, which keep the loaded rows in step with etcd).
struct KeyTreeModel::Node {
    KeyTreeEntry entry;
    Node *parent = nullptr;
    int row = 0;
    bool isMore = false;  // the "load more" row
    bool started = false; // the first page was asked for
    bool loading = false;
    QByteArray next; // `after` for the next page
    std::vector<std::unique_ptr<Node>> children;
};
