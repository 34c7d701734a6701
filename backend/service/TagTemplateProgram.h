#pragma once

// The parsed form of a TagTemplate and the values it computes with (internal to service/).

#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>

namespace tagtemplate {

struct Pipeline;

struct Arg {
    enum Kind { Field, Literal, Sub };
    Kind kind = Literal;
    QStringList path;   // Field: [] is ".", ["Config", "Env"] is .Config.Env
    QJsonValue literal; // Literal: a string or an integer
    std::shared_ptr<Pipeline> sub;
};

struct Command {
    QString function; // empty: the command is one operand
    QList<Arg> args;
};

struct Pipeline {
    QList<Command> commands;
};

struct Node {
    QString text; // literal text when pipeline is null
    std::shared_ptr<Pipeline> pipeline;
};

struct Program {
    QList<Node> nodes;
};

enum class Type { String, Int, StringList, StringMap };

struct Function {
    QList<Type> params;
    bool variadicInts = false; // strSlice's "i ...int" after the fixed params
    // Returns a string or an array of strings; sets *error on failure.
    std::function<QJsonValue(const QList<QJsonValue> &, QString *)> call;
};

// Parses the inside of one {{ }} action; offset places it in the template for error columns.
std::shared_ptr<Pipeline> parseAction(const QString &text, int offset, QString *error);

// registrator's FuncMap without httpGet/jsonParse; null when name is unknown.
const Function *findFunction(const QString &name);

// Go's type rules for a function parameter; a JSON null is the zero value.
bool convert(const QJsonValue &v, Type type, QJsonValue *out, QString *error);
// How text/template prints a value ("[a b]" for lists, "map[k:v]" for maps).
bool print(const QJsonValue &v, QString *out, QString *error);

} // namespace tagtemplate
