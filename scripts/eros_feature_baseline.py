#!/usr/bin/env python3
# A plain feature model on EROS-1 LMC, the peer for the networks in
# docs/RESULTS.md: per band, a 4-harmonic Fourier fit at a period (log A1,
# R21, R31, phi21, phi31, residual ratio, std, skew, 5-95% range), then
# scikit-learn's HistGradientBoostingClassifier, 5 stratified folds.
# Compares the catalog period with a Lomb-Scargle period (both bands' power
# summed, 0.005-5 cycles/d; slow: about 10 minutes on 2 cores), with the
# best-fitting one-day alias of the catalog period, and with the catalog
# period divided by the multiple k = 1..10 the curve fits best (the rule of
# varstar's period_multiples, docs/REPRESENTATIONS.md: the published periods
# are the true ones times a hidden integer).
# Usage: /usr/bin/python3 scripts/eros_feature_baseline.py ../shared/data/eros1-lmc
import os
import sys
os.chdir(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/eros1-lmc")
import pandas as pd, numpy as np, time
from scipy.signal import lombscargle
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
c=pd.read_csv('catalog.csv'); l=pd.read_csv('labels.csv'); d=c.merge(l,on='id').set_index('id')
lc=pd.read_csv('lightcurves.csv'); lc=lc[lc.mag<24.9]
freqs=np.arange(0.005,5,0.0002)
t0=time.time()
best={}
for sid,g in lc.groupby('id'):
    pw=0
    for band,gb in g.groupby('band'):
        t=gb.time.values; m=gb.mag.values-gb.mag.mean()
        if len(t)<10: continue
        pw=pw+lombscargle(t,m,2*np.pi*freqs,normalize=True)
    best[sid]=1/freqs[np.argmax(pw)]
print('LS time',time.time()-t0)
d['Pls']=pd.Series(best)
def fourier(P):
    feats={}
    for (sid,band),g in lc.groupby(['id','band']):
        t=g.time.values; m=g.mag.values
        ph=(t/P[sid])%1.0
        X=np.column_stack([np.ones_like(ph)]+[f(2*np.pi*k*ph) for k in (1,2,3,4) for f in (np.cos,np.sin)])
        coef,*_=np.linalg.lstsq(X,m,rcond=None)
        A=[np.hypot(coef[1+2*i],coef[2+2*i]) for i in range(4)]
        phi=[np.arctan2(-coef[2+2*i],coef[1+2*i]) for i in range(4)]
        res=m-X@coef
        r=feats.setdefault(sid,{})
        r[band+'_A1']=np.log10(A[0]+1e-4); r[band+'_R21']=A[1]/(A[0]+1e-6); r[band+'_R31']=A[2]/(A[0]+1e-6)
        p21=(phi[1]-2*phi[0])%(2*np.pi); r[band+'_c21']=np.cos(p21); r[band+'_s21']=np.sin(p21)
        p31=(phi[2]-3*phi[0])%(2*np.pi); r[band+'_c31']=np.cos(p31); r[band+'_s31']=np.sin(p31)
        r[band+'_resid']=np.std(res)/(np.std(m)+1e-6)
        r[band+'_std']=np.std(m); r[band+'_skew']=pd.Series(m).skew()
        q=np.percentile(m,[5,95]); r[band+'_amp95']=q[1]-q[0]
    return pd.DataFrame.from_dict(feats,orient='index')
# The catalog period's one-day aliases: of f, f +/- 1, f +/- 2 cycles/d, f/2,
# 2f and 1 - f, the one whose 4-harmonic fit leaves the smallest residual variance.
def alias_period(P):
    out={}
    for sid,g in lc.groupby('id'):
        f0=1/P[sid]; best=None
        for f in [f0,f0+1,f0-1,f0+2,f0-2,f0/2,2*f0,1-f0 if f0<1 else f0]:
            if f<=0.002: continue
            rss=0; dof=0
            for band,gb in g.groupby('band'):
                if len(gb)<12: continue
                ph=(gb.time.values*f)%1.0
                X=np.column_stack([np.ones_like(ph)]+[h(2*np.pi*k*ph) for k in (1,2,3,4) for h in (np.cos,np.sin)])
                coef,*_=np.linalg.lstsq(X,gb.mag.values,rcond=None)
                rss+=np.sum((gb.mag.values-X@coef)**2); dof+=len(gb)-X.shape[1]
            v=rss/max(dof,1)
            if best is None or v<best[0]: best=(v,1/f)
        out[sid]=best[1]
    return pd.Series(out)
d['Palias']=alias_period(d.Per)
# period_multiples=10: a 3-harmonic weighted fit per band at k / P, k = 1..10;
# the k of least summed residual, or its largest multiple within 5% of it.
def multiple_period(P, K=10, H=3, tol=1.05):
    out={}
    for sid,g in lc.groupby('id'):
        chi2=np.zeros(K)
        for band,gb in g.groupby('band'):
            if len(gb)<3*(2*H+1): continue
            t=gb.time.values-g.time.min(); m=gb.mag.values; w=1/(gb.mag_err.values**2+0.005**2)
            for k in range(1,K+1):
                ph=(t*k/P[sid])%1.0
                X=np.column_stack([np.ones_like(ph)]+[f(2*np.pi*h*ph) for h in range(1,H+1) for f in (np.cos,np.sin)])
                coef,*_=np.linalg.lstsq(X*np.sqrt(w)[:,None],m*np.sqrt(w),rcond=None)
                chi2[k-1]+=np.sum(w*(m-X@coef)**2)
        best=int(np.argmin(chi2))+1; pick=best
        for j in range(2*best,K+1,best):
            if chi2[j-1]<=tol*chi2[best-1]: pick=j
        out[sid]=P[sid]/pick
    return pd.Series(out)
d['Pmult']=multiple_period(d.Per)
y=d.Type.values
cv=StratifiedKFold(5,shuffle=True,random_state=0)
Fc=fourier(d.Per); Fl=fourier(d.Pls); F2=fourier(2*d.Pls); Fa=fourier(d.Palias); Fm=fourier(d.Pmult)
F2.columns=['x2_'+c for c in F2.columns]
base=pd.DataFrame({'lcat':np.log10(d.Per),'lls':np.log10(d.Pls),'col':d.mag_b-d.mag_r,'mb':d.mag_b,'mr':d.mag_r},index=d.index)
base['lalias']=np.log10(d.Palias)
base['lmult']=np.log10(d.Pmult)
sets={'cat P shape':pd.concat([Fc,base[['lcat']]],axis=1),
'cat P shape + mags':pd.concat([Fc,base[['lcat','col','mb','mr']]],axis=1),
'alias P shape + mags':pd.concat([Fa,base[['lalias','col','mb','mr']]],axis=1),
'P / multiple shape + mags':pd.concat([Fm,base[['lmult','col','mb','mr']]],axis=1),
'LS P shape':pd.concat([Fl,base[['lls']]],axis=1),
'LS P + 2P shape':pd.concat([Fl,F2,base[['lls']]],axis=1),
'LS P + 2P shape + mags':pd.concat([Fl,F2,base[['lls','col','mb','mr']]],axis=1),
'LS+cat+2P+mags':pd.concat([Fl,F2,Fc.add_prefix('c_'),base],axis=1)}
for k,F in sets.items():
    X=F.loc[d.index].fillna(0).values
    s=cross_val_score(HistGradientBoostingClassifier(random_state=0),X,y,cv=cv)
    print(f'{k:28s} HGB: {s.mean()*100:.2f} +/- {s.std()*100:.2f}')
