import QtQuick
import QtQuick.Controls
import Portolan.Dashboard

// Events per minute over the last N minutes, as bars on a Canvas (no Qt Charts).
Item {
    id: chart
    objectName: "eventChart"
    property var counts: [] // oldest first
    readonly property int peak: counts.length ? Math.max.apply(null, counts) : 0
    readonly property int scale: Math.max(1, peak)
    implicitHeight: 140

    onCountsChanged: canvas.requestPaint()
    Connections {
        target: Theme
        function onDarkChanged() { canvas.requestPaint() }
    }

    Label {
        textFormat: Text.PlainText
        id: title
        text: qsTr("Events per minute, last %1 min (peak %2)").arg(chart.counts.length).arg(chart.peak)
        color: Theme.subtext
        font.pixelSize: 12
    }
    Canvas {
        id: canvas
        anchors.top: title.bottom
        anchors.topMargin: 6
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: axis.top
        onWidthChanged: requestPaint()
        onHeightChanged: requestPaint()
        onPaint: {
            const ctx = getContext("2d")
            ctx.reset()
            const n = chart.counts.length
            if (n === 0)
                return
            ctx.strokeStyle = Theme.border
            ctx.lineWidth = 1
            ctx.beginPath()
            ctx.moveTo(0, height - 0.5)
            ctx.lineTo(width, height - 0.5)
            ctx.stroke()
            const slot = width / n
            const barWidth = Math.max(1, slot - 3)
            ctx.fillStyle = Theme.accent
            for (let i = 0; i < n; ++i) {
                const h = chart.counts[i] / chart.scale * (height - 4)
                if (chart.counts[i] > 0)
                    ctx.fillRect(i * slot + 1, height - 1 - Math.max(2, h), barWidth, Math.max(2, h))
            }
        }
    }
    Label {
        textFormat: Text.PlainText
        id: axis
        anchors.left: parent.left
        anchors.bottom: parent.bottom
        text: qsTr("%1 min ago").arg(chart.counts.length)
        color: Theme.subtext
        font.pixelSize: 11
    }
    Label {
        textFormat: Text.PlainText
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        text: qsTr("now")
        color: Theme.subtext
        font.pixelSize: 11
    }
}
