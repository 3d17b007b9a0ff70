package io.fmstream.tools.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The learning curve of EVALUATION.md: Challenge F1 (mean, +-1 sd over draws) per budget and
 * method.
 */
final class LearningCurvePlot {

    record Series(String name, double[] mean, double[] sd) {}

    private static final Color[] COLOURS = {
        new Color(0x1f77b4),
        new Color(0xd62728),
        new Color(0x2ca02c),
        new Color(0x9467bd),
        new Color(0xff7f0e),
        new Color(0x8c564b)
    };

    private LearningCurvePlot() {}

    static void write(Path png, String title, List<String> budgets, List<Series> series)
            throws IOException {
        int w = 900;
        int h = 560;
        int left = 70;
        int right = 260;
        int top = 50;
        int bottom = 60;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        int pw = w - left - right;
        int ph = h - top - bottom;
        double yMin = 0.2;
        double yMax = 0.9;
        g.setColor(new Color(0xdddddd));
        for (double y = yMin; y <= yMax + 1e-9; y += 0.1) {
            int py = top + (int) Math.round(ph * (1 - (y - yMin) / (yMax - yMin)));
            g.drawLine(left, py, left + pw, py);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.1f", y), left - 35, py + 5);
            g.setColor(new Color(0xdddddd));
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        int n = budgets.size();
        for (int i = 0; i < n; i++) {
            int px = left + (int) Math.round(pw * (i + 0.5) / n);
            g.drawString(budgets.get(i), px - 8, top + ph + 20);
        }
        g.drawString("labelled recordings per class", left + pw / 2 - 90, h - 15);
        g.drawString("Challenge F1", 8, top - 12);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, left, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int s = 0; s < series.size(); s++) {
            Series se = series.get(s);
            g.setColor(COLOURS[s % COLOURS.length]);
            g.setStroke(new BasicStroke(2f));
            int prevX = -1;
            int prevY = -1;
            for (int i = 0; i < n; i++) {
                double m = se.mean()[i];
                if (!Double.isFinite(m)) {
                    prevX = -1;
                    continue;
                }
                int px = left + (int) Math.round(pw * (i + 0.5) / n) + (s - series.size() / 2) * 4;
                int py = top + (int) Math.round(ph * (1 - (m - yMin) / (yMax - yMin)));
                double sd = Double.isFinite(se.sd()[i]) ? se.sd()[i] : 0;
                int dy = (int) Math.round(ph * sd / (yMax - yMin));
                g.drawLine(px, py - dy, px, py + dy);
                g.fillOval(px - 4, py - 4, 8, 8);
                if (prevX >= 0) {
                    g.drawLine(prevX, prevY, px, py);
                }
                prevX = px;
                prevY = py;
            }
            int ly = top + 20 + s * 22;
            g.fillRect(left + pw + 15, ly - 8, 14, 4);
            g.setColor(Color.BLACK);
            g.drawString(se.name(), left + pw + 35, ly - 2);
        }
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }
}
