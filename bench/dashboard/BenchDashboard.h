#pragma once

// The dashboard benchmark (issue 4 and 6): the real models and the real QML views, fed by a real
// etcd (load, key tree, the 1000 events/s drive) and by pre-rendered watch lines (the events/s
// ceiling of the models). See README.md for what each figure means.

#include "etcd/EtcdClient.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <functional>
#include <utility>

using KeyValues = QList<std::pair<QByteArray, QByteArray>>;

// What the bench fills etcd with: `hosts` agents with `perHost` services each (as EtcdV3Registry
// writes them: a detail record and the registrator key), and extra keys for the tree view.
struct BenchLayout {
    int hosts = 50;
    int perHost = 200;
    int names = 100;       // distinct service names, spread over all hosts
    int treeKeys = 100000; // keys in etcd in all, counting the service keys
    int treeDirs = 400;    // /bench/keys/tree/dNNN/ directories (the rest is one flat dir)
    int treeDirKeys = 100; // keys per directory

    int services() const { return hosts * perHost; }
    QString hostname(int h) const;
    QByteArray hostKey(int h) const;
    QByteArray hostValue(int h) const;
    QByteArray serviceKey(int h, int j) const;
    // `variant` changes the published port, so a put of another variant is an update.
    QByteArray serviceValue(int h, int j, int variant = 0) const;
    QByteArray registryKey(int h, int j) const;
    KeyValues portolanRecords() const; // hosts and detail records
    KeyValues registryKeys() const;
    KeyValues treeFill() const; // /bench/keys/... so that etcd holds treeKeys keys
};

// Small synchronous helpers over EtcdClient (the bench is a script, not a UI).
namespace BenchEtcd {
// Puts everything in transactions of `batch` operations, `inFlight` at a time. False with `error`.
bool putAll(EtcdClient *client, const KeyValues &kvs, QString *error, int batch = 128,
            int inFlight = 4);
bool deletePrefix(EtcdClient *client, const QByteArray &prefix, QString *error);
qint64 countPrefix(EtcdClient *client, const QByteArray &prefix, QString *error);
} // namespace BenchEtcd

// Runs the event loop until `done` holds or `timeoutMs` passes; true when `done` held.
bool waitUntil(const std::function<bool()> &done, int timeoutMs);

// p in [0,100] of a list of numbers (copied and sorted); 0 for an empty list.
double percentile(QList<double> values, double p);
double maxOf(const QList<double> &values);

struct BenchOptions {
    QString etcd; // http://127.0.0.1:PORT
    BenchLayout layout;
    int rate = 1000;         // events/s driven into the QML views
    int qmlSeconds = 10;     // per view
    int modelEvents = 50000; // events in the models-only phase
    QString self;            // this program, for the writer child
    bool skipQml = false, skipTree = false, skipFill = false;
};

// The phases; each returns its figures as one JSON object (and prints a line or two).
QJsonObject runFill(EtcdClient *client, const BenchOptions &o);
QJsonObject runLoadAndModels(EtcdClient *client, const BenchOptions &o, QObject **connection);
QJsonObject runModelEventRate(const BenchOptions &o);
QJsonObject runQmlFrames(QObject *connection, const BenchOptions &o);
QJsonObject runKeyTree(EtcdClient *client, const BenchOptions &o);
// The writer child: `rate` service events a second for `seconds` into etcd, then exits.
int runWriter(const QString &etcd, const BenchLayout &layout, int rate, int seconds, int seed);
