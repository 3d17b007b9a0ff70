# Summarises the A/B logs in this folder: python3 summarise.py
import os,re,sys,glob,statistics as st
here=os.path.dirname(os.path.abspath(__file__))
rx=re.compile(r"round (\d+): fmstream \d+ and \d+ windows, ([-\d.]+) ms CPU per window \(Java threads ([-\d.]+)\); naive, linear interpolation \d+ and \d+ windows, ([-\d.]+) ms CPU per window \(Java threads ([-\d.]+)\); naive, the bundle's sinc resampling \d+ and \d+ windows, ([-\d.]+) ms CPU per window \(Java threads ([-\d.]+)\)")
th=re.compile(r"bench: threads, fmstream: ([-\d.]+) ms per window  (Assemble|Embed|Decode)")
for v in ['base','new']:
    rows=[];thr={'Assemble':[],'Embed':[],'Decode':[]}
    for f in sorted(glob.glob(os.path.join(here, f'{v}-*.txt'))):
        txt=open(f).read()
        for m in rx.finditer(txt): rows.append([float(x) for x in m.groups()[1:]])
        for m in th.finditer(txt): thr[m.group(2)].append(float(m.group(1)))
    if not rows: continue
    cols=list(zip(*rows))
    med=lambda c: st.median(c)
    print(f"{v}: {len(rows)} rounds")
    print("  medians: fm %.3f (threads %.3f)  naive-linear %.3f (%.3f)  naive-sinc %.3f (%.3f)"%tuple(med(c) for c in cols))
    print("  per-round ratio fm/linear, Java threads: median %.2f  [%s]"%(med([r[1]/r[3] for r in rows]), ' '.join('%.2f'%(r[1]/r[3]) for r in rows)))
    print("  per-round ratio fm/sinc, Java threads: median %.2f  [%s]"%(med([r[1]/r[5] for r in rows]), ' '.join('%.2f'%(r[1]/r[5]) for r in rows)))
    print("  per-round ratio fm/linear, process: median %.2f ; fm/sinc %.2f"%(med([r[0]/r[2] for r in rows]), med([r[0]/r[4] for r in rows])))
    print("  fm threads (Java) per round: "+' '.join('%.3f'%r[1] for r in rows))
    for k,vals in thr.items(): print("  thread %s: median %.3f  [%s]"%(k, med(vals) if vals else float('nan'), ' '.join('%.3f'%x for x in vals)))
