#include "service/ServiceText.h"

namespace {
// Format characters (bidi overrides, zero-width ones) and line/paragraph separators show as
// nothing or reorder the text around them: "rtl\u202Eexe.txt" reads as "rtltxt.exe".
bool isInvisible(char32_t c)
{
    const QChar::Category category = QChar::category(c);
    return category == QChar::Other_Format || category == QChar::Separator_Line ||
           category == QChar::Separator_Paragraph;
}

// Calls f(code point, index of its first UTF-16 unit) for each code point of s.
template <typename F> void forEachCodePoint(QStringView s, F f)
{
    for (qsizetype i = 0; i < s.size(); ++i) {
        char32_t c = s[i].unicode();
        const qsizetype at = i;
        if (s[i].isHighSurrogate() && i + 1 < s.size() && s[i + 1].isLowSurrogate()) {
            c = QChar::surrogateToUcs4(s[i], s[i + 1]);
            ++i;
        }
        f(c, at);
    }
}
} // namespace

QString ServiceText::escapedControl(QStringView s)
{
    QString out;
    forEachCodePoint(s, [&](char32_t c, qsizetype at) {
        if (QChar::category(c) == QChar::Other_Control)
            out += QStringLiteral("\\x%1").arg(uint(c), 2, 16, QLatin1Char('0'));
        else if (isInvisible(c) && c > 0xffff)
            out += QStringLiteral("\\U%1").arg(uint(c), 8, 16, QLatin1Char('0'));
        else if (isInvisible(c))
            out += QStringLiteral("\\u%1").arg(uint(c), 4, 16, QLatin1Char('0'));
        else
            out += s.mid(at, c > 0xffff ? 2 : 1);
    });
    return out;
}

QString ServiceText::quoted(const QString &s)
{
    QString out = escapedControl(QStringView(s).left(64));
    if (s.size() > 64)
        out += QStringLiteral("...");
    return QLatin1Char('"') + out + QLatin1Char('"');
}

QString ServiceText::characterProblem(const QString &s, bool allowControl)
{
    QString problem;
    forEachCodePoint(s, [&](char32_t c, qsizetype) {
        if (!problem.isEmpty())
            return;
        if (!allowControl && QChar::category(c) == QChar::Other_Control)
            problem = QStringLiteral("contains control characters");
        else if (!allowControl && isInvisible(c))
            problem = QStringLiteral("contains the invisible character U+%1")
                          .arg(QString::number(uint(c), 16).toUpper().rightJustified(4, u'0'));
    });
    return problem;
}

QString ServiceText::keyPartProblem(const QString &s, int maxBytes)
{
    if (s.isEmpty())
        return QStringLiteral("is empty");
    if (s.contains(QLatin1Char('/')))
        return QStringLiteral("contains '/'");
    if (s == QLatin1String(".") || s == QLatin1String(".."))
        return QStringLiteral("is a path step");
    if (const QString problem = characterProblem(s, false); !problem.isEmpty())
        return problem;
    if (!QStringView(s).isValidUtf16() || s.contains(QChar::ReplacementCharacter))
        return QStringLiteral("is not valid UTF-8");
    const qsizetype bytes = s.toUtf8().size();
    if (bytes > maxBytes)
        return QStringLiteral("is %1 bytes long (limit %2)").arg(bytes).arg(maxBytes);
    return {};
}

QString ServiceText::valueProblem(const QString &s, bool allowControl, int maxBytes)
{
    if (const QString problem = characterProblem(s, allowControl); !problem.isEmpty())
        return problem;
    if (!QStringView(s).isValidUtf16())
        return QStringLiteral("is not valid UTF-8");
    const qsizetype bytes = s.toUtf8().size();
    if (bytes > maxBytes)
        return QStringLiteral("is %1 bytes long (limit %2)").arg(bytes).arg(maxBytes);
    return {};
}

qsizetype ServiceText::jsonBytes(const QString &s)
{
    // Control characters become six-byte \u escapes, quotes and backslashes two bytes.
    qsizetype extra = 0;
    for (const QChar c : s) {
        if (c.unicode() < 0x20)
            extra += 5;
        else if (c == QLatin1Char('"') || c == QLatin1Char('\\'))
            extra += 1;
    }
    return s.toUtf8().size() + extra;
}
